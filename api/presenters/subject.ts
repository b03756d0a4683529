/**
 * How a subject (服务对象) looks over HTTP: codes with Chinese labels, derived facts (sex, age,
 * household size and 一户多残) shown beside the stored ones, and ID numbers and phones masked unless
 * the caller asked for and may see them (the route decides and audits that).
 */
import { type DisabilityCategory, type DisabilityGrade, disabilityCategoryLabel, disabilityGradeLabel } from '../../domain/certificateNumber';
import { countyLabel, type CountyCode } from '../../domain/counties';
import { ELIGIBILITY_GROUP_LABELS, ELIGIBILITY_QUESTION_LABELS, type EligibilityAnswers, type EligibilityGroup, type EligibilityQuestion } from '../../domain/eligibility';
import { ageOn, maskIdNumber, maskPhone } from '../../domain/idNumber';
import type { Subject } from '../../db/schema';

export const SEX_LABELS: Record<string, string> = { male: '男', female: '女' };

/** What a subject's `eligibility` column holds: the verdict of the latest needs survey. */
export interface StoredEligibility {
  surveyId: string;
  surveyedAt: string;
  eligible: boolean;
  groups: EligibilityGroup[];
  reasons: string[];
  missing: EligibilityQuestion[];
  /** The effective answers the verdict was made on (the facts of later case and plan openings). */
  answers?: EligibilityAnswers;
}

/** An eligibility verdict with labels on its group and question codes. */
export function presentEligibility(e: Omit<StoredEligibility, 'surveyId' | 'surveyedAt'> & Partial<StoredEligibility>) {
  return {
    ...(e.surveyId ? { surveyId: e.surveyId, surveyedAt: e.surveyedAt } : {}),
    eligible: e.eligible,
    groups: e.groups.map((g) => ({ code: g, label: ELIGIBILITY_GROUP_LABELS[g] ?? g })),
    reasons: e.reasons,
    missing: e.missing.map((q) => ({ code: q, label: ELIGIBILITY_QUESTION_LABELS[q] ?? q })),
  };
}

export interface SubjectViewOptions {
  /** Show ID numbers and phones in full (the caller asked, may, and the read is audited). */
  unmasked: boolean;
  /**
   * Whether the caller may see the birth date and what derives from it (the age): roles that may
   * unmask (api/audit.ts mayUnmask). The masked ID number hides exactly the birth date.
   */
  birthDerived: boolean;
  /** Members of the subject's household that the caller can see (0 when it has none). */
  householdSize: number;
  /** 'YYYY-MM-DD' in Asia/Shanghai, for the age. */
  today: string;
}

export function presentSubject(s: Subject, o: SubjectViewOptions) {
  const id = (v: string) => (o.unmasked ? v : maskIdNumber(v));
  const phone = (v: string | null) => (v === null ? null : o.unmasked ? v : maskPhone(v));
  const size = s.householdId ? Math.max(o.householdSize, 1) : 1;
  return {
    id: s.id,
    idNumber: id(s.idNumber),
    masked: !o.unmasked,
    name: s.name,
    sex: { code: s.sex, label: SEX_LABELS[s.sex] ?? s.sex },
    // The masked ID number hides exactly the eight birth-date digits: the full birth date travels only unmasked.
    birthDate: o.unmasked ? s.birthDate : null,
    age: o.birthDerived ? ageOn(s.birthDate, o.today) : null,
    certificate: s.certificateNumber
      ? {
        number: id(s.certificateNumber),
        category: s.disabilityCategory ? { code: s.disabilityCategory, label: disabilityCategoryLabel(s.disabilityCategory as DisabilityCategory) } : null,
        grade: s.disabilityGrade ? { code: s.disabilityGrade, label: disabilityGradeLabel(s.disabilityGrade as DisabilityGrade) } : null,
      }
      : null,
    county: countyLabel(s.county as CountyCode),
    township: s.township,
    community: s.community,
    address: s.address,
    phone: phone(s.phone),
    guardian: s.guardianName
      ? { name: s.guardianName, phone: phone(s.guardianPhone), relation: s.guardianRelation }
      : null,
    household: {
      id: s.householdId,
      size,
      /** 一户多残: derived from the household links, never stored. */
      multiDisabled: size >= 2,
    },
    consentToShare: s.consentToShare,
    consentAt: s.consentAt ? s.consentAt.toISOString() : null,
    eligibility: s.eligibility ? presentEligibility(s.eligibility as StoredEligibility) : null,
    notes: s.notes,
    createdBy: s.createdBy,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

/**
 * Who to visit and how to reach them, as case lists and 我的任务 show it: name, address and phones
 * (masked unless `unmasked`); no ID number, no birth date.
 */
export function presentSubjectContact(
  s: Pick<Subject, 'id' | 'name' | 'county' | 'township' | 'community' | 'address' | 'phone' | 'guardianName' | 'guardianPhone' | 'guardianRelation'>,
  unmasked: boolean,
) {
  const phone = (v: string | null) => (v === null ? null : unmasked ? v : maskPhone(v));
  return {
    id: s.id,
    name: s.name,
    county: countyLabel(s.county as CountyCode),
    township: s.township,
    community: s.community,
    address: s.address,
    phone: phone(s.phone),
    guardian: s.guardianName ? { name: s.guardianName, phone: phone(s.guardianPhone), relation: s.guardianRelation } : null,
    masked: !unmasked,
  };
}
