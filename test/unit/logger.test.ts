import { describe, expect, it } from 'vitest';
import { createLogger, safeError } from '../../logger';
import { PinoTemporalLogger } from '../../temporal/telemetry';
import { LogCapture } from '../support/logs';

describe('the logger keeps personal data out', () => {
  it('logs a request by method, route template and path, without its query string or headers', () => {
    const out = new LogCapture();
    const log = createLogger({ destination: out, name: 'api' });
    log.info({ req: { method: 'GET', url: '/v1/subjects?idNumber=640104199001011234&name=张三', routeOptions: { url: '/v1/subjects' }, headers: { authorization: 'Bearer secret' } } }, 'incoming request');
    const [line] = out.records();
    expect(line).toMatchObject({ service: 'api', msg: 'incoming request', req: { method: 'GET', route: '/v1/subjects', path: '/v1/subjects' } });
    expect(out.lines[0]).not.toMatch(/640104199001011234|张三|secret/);
  });

  it('keeps an error\'s type, code and message, not the statement parameters a database error carries', () => {
    const err = Object.assign(new Error('duplicate key value violates unique constraint "subjects_id_number_key"'), {
      code: '23505', parameters: ['640104199001011234', '张三'], query: 'insert into subjects …', detail: 'Key (id_number)=(640104199001011234) already exists.',
    });
    const safe = safeError(new Error('projection failed', { cause: err })) as Record<string, any>;
    expect(safe).toMatchObject({ type: 'Error', message: 'projection failed', cause: { code: '23505', message: err.message } });
    expect(JSON.stringify(safe)).not.toMatch(/640104199001011234|张三/);
    const out = new LogCapture();
    createLogger({ destination: out }).error({ err }, 'unhandled error');
    expect(out.lines[0]).not.toMatch(/640104199001011234|张三/);
    expect(out.records()[0]).toMatchObject({ err: { code: '23505' } });
  });
});

describe('Temporal\'s runtime logger routed into pino', () => {
  it('keeps identifiers, adds the case id of a case workflow, maps levels, and drops any other metadata', () => {
    const out = new LogCapture();
    const logger = new PinoTemporalLogger(createLogger({ destination: out, level: 'trace' }));
    logger.warn('Activity failed', { workflowId: 'case-abc', runId: 'r1', activityType: 'projectCase', args: ['640104199001011234'], searchAttributes: { name: '张三' } });
    logger.debug('Workflow started', { workflowId: 'plan-p1', runId: 'r2' });
    const [a, b] = out.records();
    expect(a).toMatchObject({ level: 40, msg: 'Activity failed', workflowId: 'case-abc', caseId: 'abc', runId: 'r1', activityType: 'projectCase' });
    expect(a).not.toHaveProperty('args');
    expect(a).not.toHaveProperty('searchAttributes');
    expect(b).toMatchObject({ level: 20, workflowId: 'plan-p1', runId: 'r2' });
    expect(b).not.toHaveProperty('caseId');
  });
});
