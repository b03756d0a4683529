/**
 * The read model. Temporal is the source of truth for where a case is; these tables are what
 * people search, count and export. Every write from a workflow goes through an idempotent
 * projection activity (key: case id + event sequence).
 */
import { sql } from 'drizzle-orm';
import {
  bigint, boolean, customType, date, index, integer, json, jsonb, numeric, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { CaseEventType, CaseStatus, CaseStep, DeliveryMethod, EvidenceKind, PlanStatus, Role } from '../domain/vocabulary';
import type { DeliveryStatus, ExternalChannel, NotificationKind } from '../domain/notifications';

/** Raw bytes (an uploaded file). */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

/** 服务对象: the people served. */
export const subjects = pgTable('subjects', {
  id: text('id').primaryKey(),
  idNumber: text('id_number').notNull(),
  name: text('name').notNull(),
  sex: text('sex').notNull(),
  birthDate: date('birth_date', { mode: 'string' }).notNull(),
  certificateNumber: text('certificate_number'),
  disabilityCategory: smallint('disability_category'),
  disabilityGrade: smallint('disability_grade'),
  county: text('county').notNull(),
  township: text('township'),
  community: text('community'),
  address: text('address'),
  phone: text('phone'),
  guardianName: text('guardian_name'),
  guardianPhone: text('guardian_phone'),
  guardianRelation: text('guardian_relation'),
  householdId: text('household_id'),
  consentToShare: boolean('consent_to_share').notNull().default(false),
  consentAt: timestamp('consent_at', { withTimezone: true }),
  eligibility: jsonb('eligibility'),
  notes: text('notes'),
  createdBy: text('created_by'),
  ...timestamps,
}, (t) => [
  uniqueIndex('subjects_id_number_uq').on(t.idNumber),
  index('subjects_county_idx').on(t.county, t.township, t.community),
  index('subjects_household_idx').on(t.householdId),
  index('subjects_name_idx').on(t.name),
]);

/** 需求摸底: one needs survey of one subject. */
export const surveys = pgTable('surveys', {
  id: text('id').primaryKey(),
  subjectId: text('subject_id').notNull().references(() => subjects.id),
  surveyedBy: text('surveyed_by').notNull(),
  surveyedAt: timestamp('surveyed_at', { withTimezone: true }).notNull(),
  answers: jsonb('answers').notNull(),
  eligibility: jsonb('eligibility').notNull(),
  needs: jsonb('needs').notNull(),
  idempotencyKey: text('idempotency_key'),
  requestHash: text('request_hash'),
  ...timestamps,
}, (t) => [
  uniqueIndex('surveys_idempotency_uq').on(t.surveyedBy, t.idempotencyKey),
  index('surveys_subject_idx').on(t.subjectId),
]);

/** A need found by a survey: a one-off need becomes a case, an ongoing need a plan. */
export const needs = pgTable('needs', {
  id: text('id').primaryKey(),
  surveyId: text('survey_id').notNull().references(() => surveys.id),
  subjectId: text('subject_id').notNull().references(() => subjects.id),
  itemCode: text('item_code').notNull(),
  actionCode: text('action_code').notNull(),
  /** Position of the need in its survey: with the survey id it derives the case's idempotency key. */
  needIndex: smallint('need_index').notNull(),
  ongoing: boolean('ongoing').notNull(),
  greenChannel: boolean('green_channel').notNull().default(false),
  /** One-off needs: the case id, fixed (derived) before the case starts. */
  caseId: text('case_id'),
  /** Set once the case workflow is known to be started; null means a start is still owed (a retry completes it). */
  caseStartedAt: timestamp('case_started_at', { withTimezone: true }),
  planId: text('plan_id'),
  notes: text('notes'),
  ...timestamps,
}, (t) => [
  index('needs_subject_idx').on(t.subjectId),
  index('needs_open_plan_idx').on(t.ongoing, t.planId),
  uniqueIndex('needs_survey_index_uq').on(t.surveyId, t.needIndex),
]);

/** One service case (one action for one person), as last projected from its workflow. */
export const cases = pgTable('cases', {
  id: text('id').primaryKey(),
  subjectId: text('subject_id').notNull().references(() => subjects.id),
  itemCode: text('item_code').notNull(),
  actionCode: text('action_code').notNull(),
  county: text('county').notNull(),
  department: text('department').notNull(),
  catalogVersion: text('catalog_version').notNull(),
  status: text('status').$type<CaseStatus>().notNull(),
  step: text('step').$type<CaseStep>().notNull(),
  greenChannel: boolean('green_channel').notNull().default(false),
  onHold: boolean('on_hold').notNull().default(false),
  overdue: boolean('overdue').notNull().default(false),
  escalationLevel: smallint('escalation_level').notNull().default(0),
  assignee: text('assignee'),
  dueAt: timestamp('due_at', { withTimezone: true }),
  supplementDueAt: timestamp('supplement_due_at', { withTimezone: true }),
  openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
  visitedAt: timestamp('visited_at', { withTimezone: true }),
  reviewedAt: timestamp('reviewed_at', { withTimezone: true }),
  deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  closedAt: timestamp('closed_at', { withTimezone: true }),
  outcome: text('outcome'),
  deliveryMethod: text('delivery_method').$type<DeliveryMethod>(),
  completedOnTime: boolean('completed_on_time'),
  lastEventSeq: integer('last_event_seq').notNull().default(0),
  lastEventAt: timestamp('last_event_at', { withTimezone: true }).notNull(),
  surveyId: text('survey_id'),
  createdBy: text('created_by'),
  state: jsonb('state').notNull(),
  ...timestamps,
}, (t) => [
  index('cases_open_due_idx').on(t.dueAt).where(sql`status = 'open'`),
  index('cases_scope_idx').on(t.county, t.department, t.itemCode, t.status),
  index('cases_open_last_event_idx').on(t.lastEventAt).where(sql`status = 'open'`),
  index('cases_subject_idx').on(t.subjectId),
  index('cases_assignee_idx').on(t.assignee).where(sql`status = 'open'`),
  index('cases_opened_idx').on(t.openedAt),
  index('cases_closed_idx').on(t.closedAt),
  // The quarterly statistics (db/queries/statistics.ts) read the quarter's cases from these two alone
  // (index-only scans, never the wide rows): the ended ones by when they ended (closed, or their last
  // event for cancelled/rejected), and the open backlog.
  index('cases_ended_stats_idx').on(
    sql`coalesce(${t.closedAt}, ${t.lastEventAt})`, t.openedAt, t.county, t.department, t.itemCode, t.subjectId, t.status, t.completedOnTime, t.id,
    t.closedAt, t.lastEventAt,
  ).where(sql`status <> 'open'`),
  index('cases_open_stats_idx').on(t.openedAt, t.county, t.department, t.itemCode, t.subjectId, t.completedOnTime, t.id).where(sql`status = 'open'`),
  // Rows written after a quarter's statistics were stored (statistics.ts: a stored table is checked against them).
  index('cases_created_idx').on(t.createdAt),
  // GET /v1/cases keyset order: green channel first, then due time (none last), then id.
  index('cases_list_order_idx').on(sql`(not green_channel)`, sql`coalesce(due_at, 'infinity'::timestamptz)`, t.id),
]);

/** Append-only timeline of every case: one row per workflow event, written at most once. */
export const caseEvents = pgTable('case_events', {
  caseId: text('case_id').notNull().references(() => cases.id),
  seq: integer('seq').notNull(),
  type: text('type').$type<CaseEventType>().notNull(),
  at: timestamp('at', { withTimezone: true }).notNull(),
  actor: text('actor'),
  step: text('step').$type<CaseStep>(),
  data: jsonb('data').notNull().default({}),
  recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  // Events of a type in a time range; case_id makes it covering (the dashboard's weekly trend counts the
  // cases that went overdue each week from this index alone).
  primaryKey({ columns: [t.caseId, t.seq] }), index('case_events_type_at_idx').on(t.type, t.at, t.caseId),
  // Whether a case had been overdue before a cut-off (the quarterly statistics' 逾期 of pending cases).
  index('case_events_overdue_idx').on(t.caseId, t.at).where(sql`type in ('overdue', 'supplement_overdue')`),
  index('case_events_recorded_idx').on(t.recordedAt),
]);

/**
 * Evidence files of a case (photos, videos, documents of a home visit). The bytes are stored once,
 * content-addressed, under FILES_DIR (file name: the sha256); a row links a file to each case it was
 * uploaded to, so the same photo uploaded for two cases is stored once and visible in both.
 */
export const evidenceFiles = pgTable('evidence_files', {
  caseId: text('case_id').notNull().references(() => cases.id),
  sha256: text('sha256').notNull(),
  size: bigint('size', { mode: 'number' }).notNull(),
  contentType: text('content_type').notNull(),
  uploadedBy: text('uploaded_by'),
  ...timestamps,
}, (t) => [primaryKey({ columns: [t.caseId, t.sha256] }), index('evidence_files_sha256_idx').on(t.sha256)]);

/** Ongoing service plans (items 5, 6, 7, 11, 12). */
export const plans = pgTable('plans', {
  id: text('id').primaryKey(),
  subjectId: text('subject_id').notNull().references(() => subjects.id),
  itemCode: text('item_code').notNull(),
  actionCode: text('action_code').notNull(),
  county: text('county').notNull(),
  department: text('department').notNull(),
  catalogVersion: text('catalog_version').notNull(),
  status: text('status').$type<PlanStatus>().notNull(),
  provider: jsonb('provider').notNull(),
  assessment: jsonb('assessment').notNull(),
  startDate: date('start_date', { mode: 'string' }).notNull(),
  endDate: date('end_date', { mode: 'string' }),
  endedAt: timestamp('ended_at', { withTimezone: true }),
  endReason: text('end_reason'),
  currentPeriod: text('current_period'),
  needId: text('need_id'),
  createdBy: text('created_by'),
  /** A child's 7th birthday (children's home rehabilitation): the plan stops on that day. */
  ageOutOn: date('age_out_on', { mode: 'string' }),
  /** Verdict of the last checked period (null before the first check): the supervisors' filter. */
  lastPeriodCompliant: boolean('last_period_compliant'),
  /** Consecutive non-compliant periods: 1 escalates to the county department, 2+ to the leadership group's office. */
  escalationLevel: smallint('escalation_level').notNull().default(0),
  /** Projection marker: a row is only ever replaced by a later snapshot. */
  lastEventSeq: integer('last_event_seq').notNull().default(0),
  state: jsonb('state').notNull().default({}),
  ...timestamps,
}, (t) => [
  index('plans_scope_idx').on(t.county, t.department, t.itemCode, t.status),
  index('plans_subject_idx').on(t.subjectId),
  index('plans_created_idx').on(t.createdAt, t.id),
]);

/** Sessions recorded against a plan. */
export const planSessions = pgTable('plan_sessions', {
  id: text('id').primaryKey(),
  planId: text('plan_id').notNull().references(() => plans.id),
  period: text('period').notNull(),
  sessionDate: date('session_date', { mode: 'string' }).notNull(),
  /** Minutes, or class hours for home schooling (fractional: 1.5). */
  units: numeric('units', { precision: 7, scale: 2, mode: 'number' }).notNull(),
  unit: text('unit').notNull(),
  providerStaff: text('provider_staff').notNull(),
  content: text('content'),
  evidence: jsonb('evidence').$type<{ sha256: string; kind: EvidenceKind }[]>().notNull().default([]),
  recordedBy: text('recorded_by'),
  ...timestamps,
}, (t) => [index('plan_sessions_plan_idx').on(t.planId, t.sessionDate)]);

/** One checked period of a plan (its cadence verdict). */
export const planPeriods = pgTable('plan_periods', {
  planId: text('plan_id').notNull().references(() => plans.id),
  period: text('period').notNull(),
  startDate: date('start_date', { mode: 'string' }).notNull(),
  endDate: date('end_date', { mode: 'string' }).notNull(),
  sessions: integer('sessions').notNull(),
  /** Sessions long enough to count, and the sessions (or weeks × sessions) the period required. */
  qualifying: integer('qualifying').notNull().default(0),
  required: integer('required').notNull().default(0),
  units: numeric('units', { precision: 9, scale: 2, mode: 'number' }).notNull().default(0),
  /** True when the plan covered only part of the period (checked pro rata). */
  partial: boolean('partial').notNull().default(false),
  compliant: boolean('compliant').notNull(),
  /** { text } in Chinese when not compliant; {} otherwise. */
  shortfall: jsonb('shortfall').notNull().default({}),
  /** Weekly cadences: each week's verdict. */
  weeks: jsonb('weeks').notNull().default([]),
  /** Where a shortfall was escalated: the county department, or LEADERSHIP_OFFICE. */
  escalatedTo: text('escalated_to'),
  ledgerEntryId: text('ledger_entry_id'),
  checkedAt: timestamp('checked_at', { withTimezone: true }).notNull(),
  /** When the row was written (a stored quarter's statistics are checked against rows written after them). */
  recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  primaryKey({ columns: [t.planId, t.period] }), index('plan_periods_escalated_idx').on(t.escalatedTo, t.checkedAt),
  index('plan_periods_recorded_idx').on(t.recordedAt),
]);

/** 工作台账 rows: one per handled case or plan period, per county department and month. */
export const ledgerEntries = pgTable('ledger_entries', {
  id: text('id').primaryKey(),
  county: text('county').notNull(),
  department: text('department').notNull(),
  month: text('month').notNull(),
  sourceType: text('source_type').notNull(),
  sourceId: text('source_id').notNull(),
  subjectId: text('subject_id').notNull(),
  itemCode: text('item_code').notNull(),
  actionCode: text('action_code').notNull(),
  row: jsonb('row').notNull(),
  /** Set on an amendment (更正) row: the row it corrects, why, and who made it. */
  amendsId: text('amends_id'),
  amendReason: text('amend_reason'),
  createdBy: text('created_by'),
  sharedAt: timestamp('shared_at', { withTimezone: true }),
  ...timestamps,
}, (t) => [
  index('ledger_scope_month_idx').on(t.county, t.department, t.month),
  index('ledger_amends_idx').on(t.amendsId),
  uniqueIndex('ledger_source_uq').on(t.sourceType, t.sourceId, t.month).where(sql`amends_id is null`),
]);

/** A month's ledger frozen when shared with the same-level DPF. */
export const ledgerShares = pgTable('ledger_shares', {
  county: text('county').notNull(),
  department: text('department').notNull(),
  month: text('month').notNull(),
  rowCount: integer('row_count').notNull(),
  contentHash: text('content_hash').notNull(),
  sharedAt: timestamp('shared_at', { withTimezone: true }).notNull(),
  /** 'schedule' for the monthly Temporal Schedule, else the user id of a manual share. */
  sharedBy: text('shared_by').notNull().default('schedule'),
}, (t) => [primaryKey({ columns: [t.county, t.department, t.month] })]);

/** 工作情况统计表 submissions: a county department's quarterly table, and the city sums. */
export const reportSubmissions = pgTable('report_submissions', {
  id: text('id').primaryKey(),
  quarter: text('quarter').notNull(),
  level: text('level').notNull(),
  county: text('county'),
  department: text('department').notNull(),
  status: text('status').notNull(),
  table: jsonb('table').notNull(),
  contentHash: text('content_hash'),
  draftedAt: timestamp('drafted_at', { withTimezone: true }),
  submittedAt: timestamp('submitted_at', { withTimezone: true }),
  submittedBy: text('submitted_by'),
  late: boolean('late').notNull().default(false),
  /** Reminders sent to a county department that has not submitted yet. */
  remindedAt: timestamp('reminded_at', { withTimezone: true }),
  reminders: integer('reminders').notNull().default(0),
  /** City tables: when the sum was shared with the city DPF. */
  sharedAt: timestamp('shared_at', { withTimezone: true }),
  ...timestamps,
}, (t) => [uniqueIndex('report_submissions_uq').on(t.quarter, t.level, t.county, t.department)]);

/** Staff who use doorstep. */
export const users = pgTable('users', {
  id: text('id').primaryKey(),
  username: text('username').notNull(),
  displayName: text('display_name').notNull(),
  role: text('role').$type<Role>().notNull(),
  counties: jsonb('counties').$type<string[]>().notNull().default([]),
  departments: jsonb('departments').$type<string[]>().notNull().default([]),
  cityLevel: boolean('city_level').notNull().default(false),
  disabled: boolean('disabled').notNull().default(false),
  /** scrypt hash of the console password (api/passwords.ts format), null: no password login. */
  passwordHash: text('password_hash'),
  passwordChangedAt: timestamp('password_changed_at', { withTimezone: true }),
  ...timestamps,
}, (t) => [uniqueIndex('users_username_uq').on(t.username)]);

/**
 * Console sessions (api/sessions.ts): the row is the session; the cookie carries a secret whose
 * SHA-256 is the id. Idle expiry slides with last_seen_at; expires_at is the absolute end.
 */
export const sessions = pgTable('sessions', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id),
  csrfToken: text('csrf_token').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  ip: text('ip'),
  userAgent: text('user_agent'),
}, (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)]);

/**
 * Failed password logins per username (known or not, so that both answer alike): the count within the
 * current window and, once past the limit, until when the username is locked (api/sessions.ts).
 */
export const loginFailures = pgTable('login_failures', {
  username: text('username').primaryKey(),
  failures: integer('failures').notNull(),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true }).notNull(),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
});

/** Bearer tokens, stored as SHA-256 hashes only. */
export const apiTokens = pgTable('api_tokens', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id),
  tokenHash: text('token_hash').notNull(),
  label: text('label'),
  expiresAt: timestamp('expires_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  ...timestamps,
}, (t) => [uniqueIndex('api_tokens_hash_uq').on(t.tokenHash)]);

/** Append-only audit log: every state change and every read of unmasked personal data. */
export const auditLog = pgTable('audit_log', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  userId: text('user_id'),
  action: text('action').notNull(),
  resourceType: text('resource_type').notNull(),
  resourceId: text('resource_id'),
  ip: text('ip'),
  detail: jsonb('detail').notNull().default({}),
}, (t) => [index('audit_log_at_idx').on(t.at), index('audit_log_resource_idx').on(t.resourceType, t.resourceId)]);

/**
 * Bulk imports of subjects (服务对象批量导入): the uploaded file (kept here so the worker can read it;
 * only the import id goes into the workflow), the header mapping, progress and the dry run's counts.
 */
export const subjectImports = pgTable('subject_imports', {
  id: text('id').primaryKey(),
  /** validating → validated → committing → committed; or failed (the file could not be read). */
  status: text('status').notNull(),
  fileName: text('file_name').notNull(),
  format: text('format').notNull(),
  sha256: text('sha256').notNull(),
  size: integer('size').notNull(),
  file: bytea('file').notNull(),
  /** The uploader and their county scope at upload time: every row is checked against it. */
  createdBy: text('created_by').notNull(),
  scope: jsonb('scope').$type<{ cityLevel: boolean; counties: string[] }>().notNull(),
  mapping: jsonb('mapping').notNull(),
  /** Data rows in the file (known once it has been read), rows validated, rows committed. */
  rowsTotal: integer('rows_total'),
  rowsDone: integer('rows_done').notNull().default(0),
  rowsCommitted: integer('rows_committed').notNull().default(0),
  /** { create, update, unchanged, rejected } of the dry run; after the commit, what was written. */
  counts: jsonb('counts').$type<Record<string, number>>().notNull().default({}),
  /** Row numbers of empty rows that were skipped. */
  skippedRows: jsonb('skipped_rows').$type<number[]>().notNull().default([]),
  /** Merged ranges that touch data rows. */
  merged: jsonb('merged').$type<{ ref: string; top: number; bottom: number }[]>().notNull().default([]),
  error: text('error'),
  validatedAt: timestamp('validated_at', { withTimezone: true }),
  committedBy: text('committed_by'),
  committedAt: timestamp('committed_at', { withTimezone: true }),
  ...timestamps,
}, (t) => [index('subject_imports_created_by_idx').on(t.createdBy, t.createdAt)]);

/** One data row of an import: its cells as read, and once validated its values, reasons and action. */
export const subjectImportRows = pgTable('subject_import_rows', {
  importId: text('import_id').notNull().references(() => subjectImports.id),
  rowNumber: integer('row_number').notNull(),
  cells: jsonb('cells').$type<string[]>().notNull(),
  formulaColumns: jsonb('formula_columns').$type<number[]>().notNull().default([]),
  /** The ID number as written (trimmed, upper case): finds duplicates in the file. */
  idKey: text('id_key'),
  /** County and address when the row has no 户号 (see api/import/rows addressKey): finds households by address. */
  addressKey: text('address_key'),
  values: jsonb('values').$type<Record<string, unknown>>(),
  /** 错误原因: empty when the row is valid. */
  reasons: jsonb('reasons').$type<string[]>(),
  /** create / update / unchanged / rejected (dry run; rewritten by the commit). */
  action: text('action'),
  subjectId: text('subject_id'),
  /** Set in the transaction that wrote the row: a retried commit skips it (each row written once). */
  appliedAt: timestamp('applied_at', { withTimezone: true }),
}, (t) => [primaryKey({ columns: [t.importId, t.rowNumber] }), index('subject_import_rows_id_key_idx').on(t.importId, t.idKey),
  index('subject_import_rows_address_key_idx').on(t.importId, t.addressKey),
]);

/** Household numbers (户号) and shared addresses of imported rosters → the household they name. */
export const householdKeys = pgTable('household_keys', {
  key: text('key').primaryKey(),
  householdId: text('household_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('household_keys_household_idx').on(t.householdId)]);

/**
 * Eligibility decisions of the cases and plans that were opened (domain/eligibility.ts, one rule per
 * item): on which ground, and when a coordinator opened despite a refusal (override) with the reason.
 * One row per case or plan; the quarterly statistics count the open ground and the overrides.
 */
export const eligibilityDecisions = pgTable('eligibility_decisions', {
  /** `case:<id>` or `plan:<id>`. */
  id: text('id').primaryKey(),
  kind: text('kind').$type<'case' | 'plan'>().notNull(),
  refId: text('ref_id').notNull(),
  subjectId: text('subject_id').notNull(),
  itemCode: text('item_code').notNull(),
  county: text('county').notNull(),
  department: text('department').notNull(),
  /** 'item_target' | 'programme_group' | 'other_difficulty' | 'override'. */
  ground: text('ground').notNull(),
  groups: jsonb('groups').notNull(),
  /** The written reason of an other special difficulty or of an override. */
  reason: text('reason'),
  /** The refusal an override went past (Chinese). */
  refusal: text('refusal'),
  decidedBy: text('decided_by').notNull(),
  decidedAt: timestamp('decided_at', { withTimezone: true }).notNull(),
  /** When the row was written (a stored quarter's statistics are checked against rows written after them). */
  recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('eligibility_decisions_scope_idx').on(t.county, t.department, t.decidedAt), index('eligibility_decisions_recorded_idx').on(t.recordedAt)]);

/**
 * The statistics of an ended quarter (db/queries/statistics.ts quarterStatistics), counted once and
 * stored: every figure of a quarter rests on rows timed before its end, so a stored count stays right
 * unless rows timed before the end are written after it was counted, which is checked on every read
 * (then it is counted again). One row per quarter, every county and department.
 */
export const storedQuarterStatistics = pgTable('quarter_statistics', {
  quarter: text('quarter').primaryKey(),
  // json, not jsonb: stored and read back as the text it is (hundreds of thousands of people's ids), never re-encoded.
  rows: json('rows').notNull(),
  countedAt: timestamp('counted_at', { withTimezone: true }).notNull(),
});

/**
 * Working-day calendars entered by admins (PUT /v1/calendar/:year): one row per version of a year's
 * holidays and make-up working days. The latest version of a year wins over the table in the code
 * (domain/calendar.ts HOLIDAY_CALENDAR); earlier versions stay as the history.
 */
export const holidayCalendars = pgTable('holiday_calendars', {
  year: integer('year').notNull(),
  version: integer('version').notNull(),
  source: text('source').notNull(),
  holidays: jsonb('holidays').notNull(),
  makeUpWorkdays: jsonb('make_up_workdays').notNull(),
  enteredBy: text('entered_by').notNull(),
  enteredAt: timestamp('entered_at', { withTimezone: true }).notNull(),
}, (t) => [primaryKey({ columns: [t.year, t.version] })]);

/**
 * Versioned policy rules (domain/policy.ts): the figures the plan sets ('plan', with its clause) and
 * those it does not ('local', with who set them and when). A local rule is advisory until an admin
 * enforces it. One row per version of a rule; the latest version is in force.
 */
export const policyRules = pgTable('policy_rules', {
  key: text('key').notNull(),
  version: integer('version').notNull(),
  value: jsonb('value').notNull(),
  enforced: boolean('enforced').notNull(),
  note: text('note'),
  setBy: text('set_by').notNull(),
  setAt: timestamp('set_at', { withTimezone: true }).notNull(),
}, (t) => [primaryKey({ columns: [t.key, t.version] })]);

/**
 * Notifications (domain/notifications.ts): the outbox and the in-app inbox in one table. A row is
 * written in the same transaction as the read-model write that causes it (a projected case event, a
 * plan period's verdict) or by the notification scan; (event key, recipient) is unique, so a retried
 * projection or scan never writes a second one. `dispatchedAt` is set once its external deliveries
 * are handed to a notificationDelivery workflow (or found to need none).
 */
export const notifications = pgTable('notifications', {
  id: text('id').primaryKey(),
  eventKey: text('event_key').notNull(),
  recipientId: text('recipient_id').notNull(),
  kind: text('kind').$type<NotificationKind>().notNull(),
  title: text('title').notNull(),
  body: text('body').notNull(),
  /** Console path (e.g. /cases/<id>). */
  link: text('link').notNull(),
  caseId: text('case_id'),
  planId: text('plan_id'),
  /** The case event that caused it. */
  seq: integer('seq'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  readAt: timestamp('read_at', { withTimezone: true }),
  dispatchedAt: timestamp('dispatched_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('notifications_event_recipient_uq').on(t.eventKey, t.recipientId),
  index('notifications_inbox_idx').on(t.recipientId, t.createdAt, t.id),
  index('notifications_unread_idx').on(t.recipientId).where(sql`read_at is null`),
  index('notifications_undispatched_idx').on(t.createdAt).where(sql`dispatched_at is null`),
  index('notifications_case_idx').on(t.caseId, t.seq),
]);

/** One external delivery of a notification (one per channel the recipient chose): its attempts and the provider's last answer. */
export const notificationDeliveries = pgTable('notification_deliveries', {
  notificationId: text('notification_id').notNull().references(() => notifications.id),
  channel: text('channel').$type<ExternalChannel>().notNull(),
  status: text('status').$type<DeliveryStatus>().notNull(),
  attempts: integer('attempts').notNull().default(0),
  /** What the provider (or the network) last answered: status code and body, or the SMTP reply. */
  lastAnswer: text('last_answer'),
  lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
  heldUntil: timestamp('held_until', { withTimezone: true }),
  sentAt: timestamp('sent_at', { withTimezone: true }),
  failedAt: timestamp('failed_at', { withTimezone: true }),
  ...timestamps,
}, (t) => [primaryKey({ columns: [t.notificationId, t.channel] }), index('notification_deliveries_failed_idx').on(t.failedAt).where(sql`status = 'failed'`)]);

/** Each user's notification channels, and where SMS and email reach them (their own work contacts). */
export const notificationPreferences = pgTable('notification_preferences', {
  userId: text('user_id').primaryKey().references(() => users.id),
  channels: jsonb('channels').$type<ExternalChannel[]>().notNull().default([]),
  mobile: text('mobile'),
  email: text('email'),
  ...timestamps,
});

/**
 * Idempotency-Key records (api/idempotency.ts): which request a key was first used for, so that the
 * same key sent with another request is refused (422) instead of answered with the first one's result.
 * A key whose request was refused (4xx) is released for reuse; rows older than 30 days are pruned nightly.
 */
export const idempotencyKeys = pgTable('idempotency_keys', {
  userId: text('user_id').notNull(),
  key: text('key').notNull(),
  method: text('method').notNull(),
  path: text('path').notNull(),
  /** sha256 of method, path and the canonical JSON body. */
  requestHash: text('request_hash').notNull(),
  /** The first answer's status (2xx, or 5xx: perhaps applied); null while the first request runs. */
  status: smallint('status'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.userId, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)]);

/** One reconciliation of the read model against the workflows (admin/reconcile.ts). */
export const reconciliationRuns = pgTable('reconciliation_runs', {
  id: text('id').primaryKey(),
  trigger: text('trigger').$type<'cli' | 'schedule' | 'api'>().notNull(),
  repair: boolean('repair').notNull(),
  days: integer('days').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  casesChecked: integer('cases_checked').notNull().default(0),
  plansChecked: integer('plans_checked').notNull().default(0),
  findings: integer('findings').notNull().default(0),
  repaired: integer('repaired').notNull().default(0),
  /** Why the run stopped early (Temporal or the database unreachable). */
  error: text('error'),
}, (t) => [index('reconciliation_runs_started_idx').on(t.startedAt)]);

/**
 * One difference between the read model and a workflow's own state: which case or plan, which field,
 * and the two values (codes, times and counts only: never personal data).
 */
export const reconciliationFindings = pgTable('reconciliation_findings', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  runId: text('run_id').notNull().references(() => reconciliationRuns.id),
  kind: text('kind').$type<'case' | 'plan'>().notNull(),
  entityId: text('entity_id').notNull(),
  county: text('county'),
  department: text('department'),
  field: text('field').notNull(),
  readModel: text('read_model'),
  workflow: text('workflow'),
  repaired: boolean('repaired').notNull().default(false),
  foundAt: timestamp('found_at', { withTimezone: true }).notNull(),
}, (t) => [index('reconciliation_findings_run_idx').on(t.runId, t.id)]);

export type Subject = typeof subjects.$inferSelect;
export type NewSubject = typeof subjects.$inferInsert;
export type CaseRow = typeof cases.$inferSelect;
export type User = typeof users.$inferSelect;
export type Session = typeof sessions.$inferSelect;
