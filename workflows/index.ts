/** The workflows the worker registers (the bundler's entry point). */
export { serviceCase } from './serviceCase';
export { caseEngine } from './caseEngine';
export { servicePlan } from './servicePlan';
export { shareMonthlyLedgers, quarterlyStatistics } from './reporting';
export { subjectImport } from './subjectImport';
export { notificationDispatch, notificationDelivery, notificationScan, notificationDigest } from './notifications';
export { nightlyReconciliation } from './maintenance';
