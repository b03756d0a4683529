/** The chaos suite tells the postgres.js nextWrite bug (porsager/postgres#1208) from any other crash of the API or worker. */
import { describe, expect, it } from 'vitest';
import { isDriverNextWriteCrash } from '../../bench/chaos';

describe('chaos: which deaths are the driver bug', () => {
  it('recognises the driver’s uncaught socket.write on a closed connection, and nothing else', () => {
    // As the worker printed it when a backend it was writing to was terminated (seen in the suite).
    const driver = [
      'file:///work/main/node_modules/postgres/src/connection.js:255',
      '    const x = socket.write(chunk, fn)',
      '                     ^',
      "TypeError: Cannot read properties of null (reading 'write')",
      '    at Immediate.nextWrite (file:///work/main/node_modules/postgres/src/connection.js:255:22)',
      '    at process.processImmediate (node:internal/timers:483:21)',
      'Node.js v20.20.2',
    ];
    expect(isDriverNextWriteCrash(driver)).toBe(true);
    expect(isDriverNextWriteCrash(["TypeError: Cannot read properties of null (reading 'write')", '    at projectCaseEvents (activities/projection.ts:40:3)'])).toBe(false);
    expect(isDriverNextWriteCrash(['FATAL out of memory', '    at nextWrite (node_modules/postgres/src/connection.js:255:22)'])).toBe(false);
  });
});
