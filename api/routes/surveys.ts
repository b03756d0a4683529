/**
 * /v1/surveys: the needs survey (需求摸底), and /v1/subjects/:id/needs, the needs it found. Recording a
 * survey, its transaction and the case starts it owes are api/services/surveys.ts (the rules are there);
 * this module parses, calls it and presents.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { currentUser, requireRole } from '../auth';
import { readIdempotencyKey } from '../idempotency';
import { presentSubjectNeed, presentSurvey } from '../presenters/survey';
import { problemResponses } from '../schemas/common';
import { subjectNeeds as subjectNeedsView, surveyView } from '../schemas/subjects';
import { loadSubject } from '../services/subjects';
import { createSurveyBody, findSurvey, recordSurvey, subjectNeeds } from '../services/surveys';
import type { RouteModule } from '../types';

export const surveyRoutes: RouteModule = async (app: FastifyInstance, deps) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  r.post('/surveys', {
    schema: {
      tags: ['surveys'],
      summary: '需求摸底：记录摸底结果与资格认定，一次性需求启动案件，持续性需求待制定服务计划',
      body: createSurveyBody,
      response: { 200: surveyView.describe('同一 Idempotency-Key 的重试：首次记录的摸底'), 201: surveyView, ...problemResponses },
    },
    preHandler: requireRole('coordinator', 'worker'),
  }, async (request, reply) => {
    const user = currentUser(request);
    const recorded = await recordSurvey(
      { db, temporal: deps.temporal, taskQueue: deps.config.TEMPORAL_TASK_QUEUE, now: deps.now, log: request.log },
      user, request.body, readIdempotencyKey(request.headers),
    );
    return reply.status(recorded.created ? 201 : 200).header('location', `/v1/surveys/${recorded.survey.id}`)
      .send(presentSurvey(recorded.survey, recorded.needs));
  });

  r.get('/surveys/:id', {
    schema: {
      tags: ['surveys'], summary: '查看一次需求摸底', params: z.object({ id: z.string().min(1).max(64) }).strict(),
      response: { 200: surveyView, ...problemResponses },
    },
  }, async (request) => {
    const { survey, needs } = await findSurvey(db, currentUser(request), request.params.id);
    return presentSurvey(survey, needs);
  });

  r.get('/subjects/:id/needs', {
    schema: {
      tags: ['surveys'],
      summary: '服务对象的服务需求（默认仅未办结的；含案件编号或服务计划编号）',
      params: z.object({ id: z.string().min(1).max(64) }).strict(),
      querystring: z.object({ status: z.enum(['open', 'all']).default('open') }).strict(),
      response: { 200: subjectNeedsView, ...problemResponses },
    },
  }, async (request) => {
    const subject = await loadSubject(db, currentUser(request), request.params.id);
    const items = (await subjectNeeds(db, subject.id)).map(presentSubjectNeed);
    return { items: request.query.status === 'all' ? items : items.filter((i) => i.open) };
  });
};
