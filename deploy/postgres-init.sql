-- Temporal keeps its own databases beside doorstep's (auto-setup creates the schemas).
CREATE DATABASE temporal OWNER doorstep;
CREATE DATABASE temporal_visibility OWNER doorstep;
