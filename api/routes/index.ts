/**
 * Every /v1 route module, registered in this order under the /v1 prefix. Add a resource here.
 * Each module is `(app, deps) => Promise<void>` and declares its routes with full zod schemas.
 */
import type { RouteModule } from '../types';
import { caseRoutes } from './cases';
import { planRoutes } from './plans';
import { supervisionRoutes } from './supervision';
import { ledgerRoutes } from './ledger';
import { reportRoutes } from './reports';
import { catalogRoutes } from './catalog';
import { subjectRoutes } from './subjects';
import { subjectImportRoutes } from './subjectImports';
import { surveyRoutes } from './surveys';
import { userRoutes } from './users';
import { auditRoutes } from './audit';
import { calendarRoutes } from './calendar';
import { policyRoutes } from './policy';
import { notificationRoutes } from './notifications';
import { workbenchRoutes } from './workbench';
import { adminRoutes } from './admin';

export const v1Routes: RouteModule[] = [
  caseRoutes,
  planRoutes,
  supervisionRoutes,
  ledgerRoutes,
  reportRoutes,
  catalogRoutes,
  subjectRoutes,
  subjectImportRoutes,
  surveyRoutes,
  userRoutes,
  auditRoutes,
  calendarRoutes,
  policyRoutes,
  notificationRoutes,
  workbenchRoutes,
  adminRoutes,
];
