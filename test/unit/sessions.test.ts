/** The pure parts of console logins: reading cookies, and the password policy. */
import { describe, expect, it } from 'vitest';
import { passwordProblem } from '../../api/passwords';
import { parseCookies } from '../../api/sessions';

describe('parseCookies', () => {
  it('reads name=value pairs, trimming spaces and decoding values; the first of a repeated name wins', () => {
    const c = parseCookies(' doorstep_session=abc ; doorstep_csrf=x%2By;doorstep_session=second; empty=');
    expect(c.get('doorstep_session')).toBe('abc');
    expect(c.get('doorstep_csrf')).toBe('x+y');
    expect(c.get('empty')).toBe('');
  });

  it('ignores what is not a cookie and values that do not decode', () => {
    const c = parseCookies('novalue; =nameless; bad=%E0%A4%A; ok=1');
    expect([...c.keys()]).toEqual(['ok']);
    expect(parseCookies(undefined).size).toBe(0);
  });
});

describe('passwordProblem', () => {
  it('wants 10 to 128 characters (counted as characters, not bytes)', () => {
    expect(passwordProblem('abcdefghi', 'li')).toBe('密码至少 10 个字符');
    expect(passwordProblem('上门代办服务工作人员好', 'li')).toBeUndefined();
    expect(passwordProblem('a1b2'.repeat(33), 'li')).toBe('密码最多 128 个字符');
  });

  it('refuses a password holding the username, or of fewer than 4 different characters', () => {
    expect(passwordProblem('my-Zhang.San-2026', 'zhang.san')).toBe('密码不能包含用户名');
    expect(passwordProblem('abababababab', 'li')).toBe('密码过于简单：至少使用 4 个不同的字符');
    expect(passwordProblem('demo-pass-coordinator', 'demo-coordinator')).toBeUndefined();
  });
});
