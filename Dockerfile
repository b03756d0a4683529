# One image for both the API and the worker (the command picks which), built in two stages.

# Build: all dependencies, then `npm run build` → dist/ (bundled processes, migrations, workflow bundles).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# Runtime: production dependencies and dist/ only. No tsx, no TypeScript sources.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# SIGTERM drains in-flight requests (or the worker's tasks) within SHUTDOWN_TIMEOUT_MS, then exits.
STOPSIGNAL SIGTERM
# The API with a bounded old space (see docker-compose.yml); the worker runs `node dist/bin/worker.js`.
CMD ["node", "--max-old-space-size=128", "dist/bin/api.js"]
