import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  DISABILITY_CATEGORIES,
  DISABILITY_GRADES,
  makeCertificateNumber,
  parseCertificateNumber,
  type DisabilityCategory,
  type DisabilityGrade,
} from '../../../domain/certificateNumber';
import { makeIdNumber } from '../../../domain/idNumber';

const ID = makeIdNumber({ regionCode: '640105', birthDate: '1971-08-15', sequence: 31 });

describe('disability categories and grades', () => {
  it('lists the seven categories and four grades in digit order', () => {
    expect(DISABILITY_CATEGORIES.map((c) => `${c.code}${c.label}`)).toEqual([
      '1视力残疾', '2听力残疾', '3言语残疾', '4肢体残疾', '5智力残疾', '6精神残疾', '7多重残疾',
    ]);
    expect(DISABILITY_GRADES.map((g) => `${g.code}${g.label}`)).toEqual(['1一级', '2二级', '3三级', '4四级']);
  });
});

describe('parseCertificateNumber', () => {
  it('decodes holder, category and grade', () => {
    const r = parseCertificateNumber(`${ID}41`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      number: `${ID}41`,
      idNumber: ID,
      category: 4,
      categoryLabel: '肢体残疾',
      grade: 1,
      gradeLabel: '一级',
    });
    expect(r.value.id).toMatchObject({ regionCode: '640105', birthDate: '1971-08-15', sex: 'male' });
  });

  it('normalises a lower-case x inside the ID part', () => {
    const r = parseCertificateNumber('11010519491231002x12');
    expect(r.ok && r.value.number).toBe('11010519491231002X12');
  });

  it('rejects the wrong length', () => {
    expect(parseCertificateNumber(ID)).toMatchObject({ ok: false, reason: 'length', message: '残疾人证号应为 20 位，实际为 18 位' });
    expect(parseCertificateNumber(`${ID}412`)).toMatchObject({ ok: false, reason: 'length' });
  });

  it('reports the ID part’s own problem', () => {
    const badId = ID.slice(0, 17) + (ID[17] === '0' ? '1' : '0');
    const r = parseCertificateNumber(`${badId}41`);
    expect(r).toMatchObject({ ok: false, reason: 'id', idProblem: 'checksum' });
    expect(!r.ok && r.message).toContain(`校验码错误，应为 ${ID[17]}`);
  });

  it('rejects category 0, 8, 9 and non-digits, and grade 0, 5–9', () => {
    for (const c of ['0', '8', '9', 'X']) expect(parseCertificateNumber(`${ID}${c}1`)).toMatchObject({ ok: false, reason: 'category' });
    for (const g of ['0', '5', '9', 'X']) expect(parseCertificateNumber(`${ID}1${g}`)).toMatchObject({ ok: false, reason: 'grade' });
  });

  it('passes the reference date through to the ID check', () => {
    expect(parseCertificateNumber(`${ID}11`, { today: '1971-08-14' })).toMatchObject({ ok: false, reason: 'id', idProblem: 'birth_date' });
  });

  it('property: every valid ID with every category and grade round-trips', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 4 }),
        (seq, c, g) => {
          const id = makeIdNumber({ regionCode: '640122', birthDate: '1985-11-30', sequence: seq });
          const s = makeCertificateNumber(id, c as DisabilityCategory, g as DisabilityGrade);
          const r = parseCertificateNumber(s);
          expect(r.ok).toBe(true);
          if (r.ok) {
            expect([r.value.idNumber, r.value.category, r.value.grade]).toEqual([id, c, g]);
            expect(r.value.categoryLabel).toBe(DISABILITY_CATEGORIES[c - 1].label);
          }
        },
      ),
    );
  });
});
