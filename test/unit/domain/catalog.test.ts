import { describe, it, expect } from 'vitest';
import {
  actionDeadlineWorkingDays,
  CATALOG,
  CATALOG_VERSION,
  CATEGORY_LABELS,
  findAction,
  findItem,
  ITEM_CODES,
  itemLabel,
  missingEvidence,
  oneOffActions,
  stepDeadline,
} from '../../../domain/catalog';
import { DELIVERY_METHOD_LABELS, type StepKind } from '../../../domain/vocabulary';
import { isDepartmentCode } from '../../../domain/departments';

const allActions = CATALOG.items.flatMap((item) => item.actions.map((action) => ({ item, action })));

describe('catalog invariants', () => {
  it('is versioned', () => {
    expect(CATALOG.version).toBe(CATALOG_VERSION);
    expect(CATALOG_VERSION).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
  });

  it('has the twelve items numbered 1..12 in order with the agreed codes', () => {
    expect(CATALOG.items.map((i) => i.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(CATALOG.items.map((i) => i.code)).toEqual([...ITEM_CODES]);
    expect(new Set(CATALOG.items.map((i) => i.code)).size).toBe(12);
  });

  it('puts items in the plan’s sections', () => {
    expect(CATALOG.items.map((i) => i.category).join('')).toBe('AAAABBBBCCDD');
    for (const i of CATALOG.items) expect(CATEGORY_LABELS[i.category]).toBeTruthy();
  });

  it('gives every item and action a Chinese and an English label', () => {
    for (const { item, action } of allActions) {
      for (const s of [item.label, action.label]) expect(s).toMatch(/[\u4e00-\u9fff]/);
      for (const s of [item.labelEn, action.labelEn]) expect(s.length).toBeGreaterThan(0);
    }
  });

  it('gives every action a known responsible and implementing department within its item', () => {
    for (const { item, action } of allActions) {
      expect(action.responsible.length, `${item.code}/${action.code}`).toBeGreaterThan(0);
      for (const d of [...action.responsible, ...action.cooperating, action.implementing]) expect(isDepartmentCode(d)).toBe(true);
      for (const d of action.responsible) expect(item.responsible).toContain(d);
      expect(action.responsible).toContain(action.implementing);
      for (const d of action.cooperating) expect(action.responsible).not.toContain(d);
    }
    for (const item of CATALOG.items) expect(item.responsible.length).toBeGreaterThan(0);
  });

  it('has unique action codes within each item', () => {
    for (const item of CATALOG.items) {
      expect(item.actions.length, item.code).toBeGreaterThan(0);
      expect(new Set(item.actions.map((a) => a.code)).size).toBe(item.actions.length);
    }
  });

  it('has positive integer deadlines, green channel never longer', () => {
    for (const { action } of allActions) {
      for (const s of action.steps) {
        expect(Number.isInteger(s.deadlineWorkingDays) && s.deadlineWorkingDays > 0).toBe(true);
        expect(Number.isInteger(s.greenChannelWorkingDays) && s.greenChannelWorkingDays > 0).toBe(true);
        expect(s.greenChannelWorkingDays).toBeLessThanOrEqual(s.deadlineWorkingDays);
        expect(s.label).toMatch(/[\u4e00-\u9fff]/);
      }
    }
  });

  it('orders steps assignment → visit → review → (delivery) → ledger, delivery iff a certificate is issued', () => {
    for (const { item, action } of allActions) {
      const kinds = action.steps.map((s) => s.kind);
      const expected: StepKind[] = action.needsCertificate
        ? ['assignment', 'visit', 'review', 'delivery', 'ledger']
        : ['assignment', 'visit', 'review', 'ledger'];
      expect(kinds, `${item.code}/${action.code}`).toEqual(expected);
      expect(action.deliveryMethods.length > 0).toBe(action.needsCertificate);
      for (const m of action.deliveryMethods) expect(DELIVERY_METHOD_LABELS[m]).toBeTruthy();
    }
  });

  it('requires at least one piece of evidence per action, with sensible minimums', () => {
    for (const { action } of allActions) {
      expect(action.evidence.length).toBeGreaterThan(0);
      for (const e of action.evidence) {
        expect(e.kinds.length).toBeGreaterThan(0);
        expect(e.minCount).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it('gives ongoing items a cadence and one action; one-off items no cadence', () => {
    const ongoing = CATALOG.items.filter((i) => i.ongoing).map((i) => i.code);
    expect(ongoing).toEqual(['ADULT_REHAB', 'CHILD_REHAB', 'HOME_SCHOOLING', 'HOUSEKEEPING', 'HOME_EMPLOYMENT']);
    for (const item of CATALOG.items) {
      if (item.ongoing) {
        expect(item.cadence, item.code).toBeDefined();
        expect(item.cadence!.minSessions).toBeGreaterThan(0);
        expect(item.cadence!.minUnitsPerSession === undefined).toBe(item.cadence!.unit === undefined);
        expect(item.actions).toHaveLength(1);
        expect(item.actions[0].needsCertificate).toBe(false);
      } else {
        expect(item.cadence, item.code).toBeUndefined();
      }
    }
  });

  it('is frozen', () => {
    expect(Object.isFrozen(CATALOG.items)).toBe(true);
    expect(Object.isFrozen(CATALOG.items[0].actions[0].steps[0])).toBe(true);
  });
});

describe('catalog content from the seed', () => {
  it('blind massage: four actions delivered straight to the institution', () => {
    const item = findItem('BLIND_MASSAGE')!;
    expect(item.actions.map((a) => [a.code, a.implementing])).toEqual([
      ['BUSINESS_LICENCE', 'APPROVAL'],
      ['CLINIC_FILING', 'APPROVAL'],
      ['ANNUAL_REPORT', 'MARKET_REGULATION'],
      ['MEDICAL_INSURANCE', 'MEDICAL_SECURITY'],
    ]);
    expect(findAction('BLIND_MASSAGE', 'BUSINESS_LICENCE')!.action.deliveryMethods).toEqual(['in_person']);
    expect(item.cooperating).toEqual(['DPF']);
  });

  it('disability certificate: six actions, home assessment for NEW and CHANGE, no certificate on cancellation', () => {
    const item = findItem('DISABILITY_CERT')!;
    expect(item.actions.map((a) => a.code)).toEqual(['NEW', 'TRANSFER', 'CHANGE', 'REISSUE', 'CANCEL', 'RENEW']);
    expect(item.responsible).toEqual(['DPF']);
    expect(item.cooperating).toEqual(['HEALTH']);
    for (const a of item.actions) {
      const assessed = a.code === 'NEW' || a.code === 'CHANGE';
      expect(a.label.includes('上门评残'), a.code).toBe(assessed);
      expect(a.evidence.some((e) => e.label.includes('评残')), a.code).toBe(assessed);
      expect(a.needsCertificate).toBe(a.code !== 'CANCEL');
      if (a.needsCertificate) expect(a.deliveryMethods).toEqual(['post', 'in_person']);
    }
  });

  it('pension qualification check: photo or video evidence, no certificate', () => {
    const { action } = findAction('PENSION_QUALIFICATION', 'CERTIFY')!;
    expect(action.implementing).toBe('HRSS');
    expect(action.needsCertificate).toBe(false);
    expect(action.evidence).toContainEqual(expect.objectContaining({ kinds: ['photo', 'video'], minCount: 1 }));
    expect(missingEvidence(action, ['video', 'signature'])).toEqual([]);
    expect(missingEvidence(action, ['signature']).map((e) => e.kinds)).toEqual([['photo', 'video']]);
    expect(action.note).toContain('宁夏行政审批与公共服务系统');
  });

  it('real estate: electronic certificate and express paper certificate', () => {
    expect(findAction('REAL_ESTATE', 'REGISTRATION')!.action.deliveryMethods).toEqual(['electronic', 'express']);
  });

  it('legal aid, social assistance and social insurance actions and their departments', () => {
    expect(findItem('LEGAL_AID')!.actions.map((a) => a.code)).toEqual(['CONSULTATION', 'LEGAL_AID', 'MEDIATION']);
    expect(findItem('LEGAL_AID')!.actions.every((a) => !a.needsCertificate && a.implementing === 'JUSTICE')).toBe(true);
    const sa = findItem('SOCIAL_ASSISTANCE')!;
    expect(sa.actions.map((a) => a.code)).toEqual(['TWO_SUBSIDIES', 'MIN_LIVING', 'TEMP_ASSISTANCE', 'EXTREME_POVERTY']);
    expect(sa.actions.every((a) => a.implementing === 'CIVIL_AFFAIRS' && a.cooperating.includes('DPF'))).toBe(true);
    expect(findItem('SOCIAL_INSURANCE')!.actions.map((a) => [a.code, a.implementing])).toEqual([
      ['PENSION_INSURANCE', 'HRSS'],
      ['MEDICAL_INSURANCE', 'MEDICAL_SECURITY'],
      ['ACCIDENT_INSURANCE', 'DPF'],
    ]);
  });

  it('cadences of the seed: children’s rehab ≥4 a month, home schooling weekly ≥2 class hours', () => {
    expect(findItem('CHILD_REHAB')!.cadence).toMatchObject({ period: 'month', minSessions: 4 });
    expect(findItem('HOME_SCHOOLING')!.cadence).toMatchObject({ period: 'week', minSessions: 1, minUnitsPerSession: 2, unit: 'class_hours' });
  });
});

describe('catalog helpers', () => {
  it('find items and actions, undefined for unknown codes', () => {
    expect(findItem('NOPE')).toBeUndefined();
    expect(findAction('DISABILITY_CERT', 'NOPE')).toBeUndefined();
    expect(findAction('NOPE', 'NEW')).toBeUndefined();
    expect(findAction('DISABILITY_CERT', 'RENEW')!.item.number).toBe(2);
    expect(itemLabel('HOME_SCHOOLING')).toEqual({ code: 'HOME_SCHOOLING', label: '送教上门' });
  });

  it('oneOffActions lists exactly the actions of non-ongoing items', () => {
    const pairs = oneOffActions();
    expect(pairs.every((p) => !p.item.ongoing)).toBe(true);
    expect(pairs).toHaveLength(4 + 6 + 1 + 1 + 3 + 4 + 3);
  });

  it('stepDeadline picks the green-channel deadline when asked', () => {
    const { action } = findAction('REAL_ESTATE', 'REGISTRATION')!;
    const visit = action.steps.find((s) => s.kind === 'visit')!;
    expect(stepDeadline(visit, false)).toBe(visit.deadlineWorkingDays);
    expect(stepDeadline(visit, true)).toBe(visit.greenChannelWorkingDays);
    expect(actionDeadlineWorkingDays(action, false)).toBe(2 + 5 + 5 + 3 + 2);
    expect(actionDeadlineWorkingDays(action, true)).toBe(1 + 2 + 2 + 1 + 1);
  });
});
