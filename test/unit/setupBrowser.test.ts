/**
 * bin/setup-browser (run by bin/setup, so by `npm test` and `npm run dev`): installs Debian's chromium
 * and fonts-noto-cjk with apt-get when they are missing and it runs as root, and otherwise skips with a
 * message. Run here with stand-in commands (id, dpkg, apt-get) on a PATH of their own, so nothing is
 * installed for real.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = resolve(import.meta.dirname, '../../bin/setup-browser');
let dir: string | undefined;
afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

interface Machine { root: boolean; chromium: boolean; fonts: boolean; aptFailsFirst?: boolean }

/** Runs the script on a pretend machine; returns its stderr and the apt-get calls it made. */
function run(m: Machine) {
  dir = mkdtempSync(join(tmpdir(), 'setup-browser-'));
  const bin = join(dir, 'bin');
  const log = join(dir, 'apt.log');
  const stub = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  spawnSync('mkdir', ['-p', bin]);
  for (const tool of ['grep', 'cat']) symlinkSync(`/usr/bin/${tool}`, join(bin, tool));
  stub('id', `echo ${m.root ? 0 : 1000}`);
  stub('dpkg', m.fonts ? 'exit 0' : 'exit 1');
  if (m.chromium) stub('chromium', 'exit 0');
  // Records each call; with aptFailsFirst, `install` fails until `update` has run (no package lists yet).
  stub('apt-get', [
    `echo "$*" >> ${log}`,
    `if [ "$1" = update ]; then touch ${log}.updated; exit 0; fi`,
    m.aptFailsFirst ? `[ -f ${log}.updated ] || exit 100` : '',
    'exit 0',
  ].join('\n'));
  const res = spawnSync('/bin/bash', [script], { env: { PATH: bin }, encoding: 'utf8' });
  return { status: res.status, stderr: res.stderr, apt: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] };
}

describe('bin/setup-browser', () => {
  it('does nothing when chromium and the CJK fonts are there', () => {
    const r = run({ root: true, chromium: true, fonts: true });
    expect(r).toMatchObject({ status: 0, apt: [] });
    expect(r.stderr).toBe('');
  });

  it('installs what is missing with apt-get -y when running as root', () => {
    expect(run({ root: true, chromium: false, fonts: false }).apt).toEqual(['install -y chromium fonts-noto-cjk']);
    expect(run({ root: true, chromium: true, fonts: false }).apt).toEqual(['install -y fonts-noto-cjk']);
  });

  it('updates the package lists once when the first install fails (a fresh machine)', () => {
    const r = run({ root: true, chromium: false, fonts: true, aptFailsFirst: true });
    expect(r.status).toBe(0);
    expect(r.apt).toEqual(['install -y chromium', 'update', 'install -y chromium']);
  });

  it('skips with a clear message, and succeeds, when not root', () => {
    const r = run({ root: false, chromium: false, fonts: false });
    expect(r.status).toBe(0);
    expect(r.apt).toEqual([]);
    expect(r.stderr).toContain('skipping chromium fonts-noto-cjk');
    expect(r.stderr).toContain('sudo apt-get install -y chromium fonts-noto-cjk');
  });
});
