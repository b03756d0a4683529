import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ageOn, idCheckCharacter, makeIdNumber, maskIdNumber, maskPhone, parseIdNumber, PROVINCE_CODES } from '../../../domain/idNumber';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

const validParts = fc.record({
  province: fc.constantFrom(...PROVINCE_CODES),
  rest: fc.integer({ min: 0, max: 9999 }),
  birth: fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2025-12-31T00:00:00Z'), noInvalidDate: true }),
  sequence: fc.integer({ min: 0, max: 999 }),
});

function toInput(p: { province: string; rest: number; birth: Date; sequence: number }) {
  const d = p.birth;
  return {
    regionCode: p.province + pad(p.rest, 4),
    birthDate: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    sequence: p.sequence,
  };
}

describe('idCheckCharacter (ISO 7064 MOD 11-2)', () => {
  it('matches the GB 11643 worked example', () => {
    // The standard's own example: 11010519491231002X.
    expect(idCheckCharacter('11010519491231002')).toBe('X');
    expect(parseIdNumber('11010519491231002X').ok).toBe(true);
  });
  it('rejects input that is not 17 digits', () => {
    expect(() => idCheckCharacter('1234')).toThrow(RangeError);
  });
});

describe('parseIdNumber', () => {
  it('decodes a valid Yinchuan number', () => {
    const n = makeIdNumber({ regionCode: '640104', birthDate: '1958-03-07', sequence: 123 });
    const r = parseIdNumber(n);
    expect(r).toEqual({
      ok: true,
      value: { number: n, regionCode: '640104', provinceCode: '64', birthDate: '1958-03-07', sequence: '123', sex: 'male' },
    });
  });

  it('normalises a lower-case x and surrounding spaces', () => {
    const r = parseIdNumber('  11010519491231002x ');
    expect(r.ok && r.value.number).toBe('11010519491231002X');
  });

  it('reports each problem with a Chinese message', () => {
    expect(parseIdNumber('6401041958')).toMatchObject({ ok: false, reason: 'length', message: '身份证号码应为 18 位，实际为 10 位' });
    expect(parseIdNumber('64010419580307A23X')).toMatchObject({ ok: false, reason: 'characters' });
    expect(parseIdNumber('990104195803071230')).toMatchObject({ ok: false, reason: 'region' });
    expect(parseIdNumber('640104195802301230')).toMatchObject({ ok: false, reason: 'birth_date' });
    expect(parseIdNumber('640104189912311230')).toMatchObject({ ok: false, reason: 'birth_date' });
    const n = makeIdNumber({ regionCode: '640104', birthDate: '1958-03-07', sequence: 123 });
    const wrong = n.slice(0, 17) + (n[17] === '0' ? '1' : '0');
    const r = parseIdNumber(wrong);
    expect(r).toEqual({ ok: false, reason: 'checksum', message: `校验码错误，应为 ${n[17]}` });
  });

  it('accepts 29 February only in leap years', () => {
    expect(parseIdNumber(makeIdNumber({ regionCode: '640104', birthDate: '2000-02-29', sequence: 2 })).ok).toBe(true);
    expect(() => makeIdNumber({ regionCode: '640104', birthDate: '1900-02-29', sequence: 2 })).toThrow(RangeError);
    const first17 = '64010419000229002';
    expect(parseIdNumber(first17 + idCheckCharacter(first17))).toMatchObject({ ok: false, reason: 'birth_date' });
  });

  it('rejects a birth date after the reference date', () => {
    const n = makeIdNumber({ regionCode: '640104', birthDate: '2025-06-02', sequence: 4 });
    expect(parseIdNumber(n, { today: '2025-06-02' }).ok).toBe(true);
    expect(parseIdNumber(n, { today: '2025-06-01' })).toMatchObject({ ok: false, reason: 'birth_date' });
  });

  it('property: every generated number is valid and round-trips birth date and sex', () => {
    fc.assert(
      fc.property(validParts, (p) => {
        const input = toInput(p);
        const n = makeIdNumber(input);
        const r = parseIdNumber(n, { today: '2025-12-31' });
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.value.number).toBe(n);
        expect(r.value.regionCode).toBe(input.regionCode);
        expect(r.value.birthDate).toBe(input.birthDate);
        expect(r.value.sequence).toBe(pad(input.sequence, 3));
        expect(r.value.sex).toBe(input.sequence % 2 === 1 ? 'male' : 'female');
      }),
      { numRuns: 500 },
    );
  });

  it('property: every single-character change is rejected, with the reason of the position changed', () => {
    const chars = '0123456789XABZ';
    fc.assert(
      fc.property(validParts, fc.integer({ min: 0, max: 17 }), fc.constantFrom(...chars), (p, pos, ch) => {
        const n = makeIdNumber(toInput(p));
        fc.pre(n[pos] !== ch);
        const changed = n.slice(0, pos) + ch + n.slice(pos + 1);
        const r = parseIdNumber(changed, { today: '2025-12-31' });
        expect(r.ok).toBe(false);
        if (r.ok) return;
        const isDigit = /\d/.test(ch);
        if (pos < 17 && !isDigit) expect(r.reason).toBe('characters');
        else if (pos === 17 && ch !== 'X' && !isDigit) expect(r.reason).toBe('characters');
        else if (pos <= 1) expect(['region', 'checksum']).toContain(r.reason);
        else if (pos >= 6 && pos <= 13) expect(['birth_date', 'checksum']).toContain(r.reason);
        else expect(r.reason).toBe('checksum');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('ageOn', () => {
  it('counts full years, turning on the birthday', () => {
    expect(ageOn('1960-05-10', '2025-05-09')).toBe(64);
    expect(ageOn('1960-05-10', '2025-05-10')).toBe(65);
    expect(ageOn('2019-12-31', '2025-12-30')).toBe(5);
    expect(ageOn('2000-02-29', '2025-02-28')).toBe(24);
    expect(ageOn('2000-02-29', '2025-03-01')).toBe(25);
  });
});

describe('masking', () => {
  it('keeps the first 6 and last 4 characters of an ID number', () => {
    expect(maskIdNumber('64010419580307123X')).toBe('640104********123X');
    expect(maskIdNumber('123')).toBe('***');
  });
  it('keeps the first 3 and last 4 digits of a phone number', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('12345')).toBe('*****');
  });
});

describe('makeIdNumber', () => {
  it('rejects bad parts', () => {
    expect(() => makeIdNumber({ regionCode: '64010', birthDate: '1958-03-07', sequence: 1 })).toThrow(RangeError);
    expect(() => makeIdNumber({ regionCode: '640104', birthDate: '1958-13-07', sequence: 1 })).toThrow(RangeError);
    expect(() => makeIdNumber({ regionCode: '640104', birthDate: '1958-03-07', sequence: 1000 })).toThrow(RangeError);
  });
  it('encodes sex in the parity of the sequence', () => {
    const f = parseIdNumber(makeIdNumber({ regionCode: '640181', birthDate: '1990-01-01', sequence: 8 }));
    expect(f.ok && f.value.sex).toBe('female');
  });
});
