CREATE TABLE "quarter_statistics" (
	"quarter" text PRIMARY KEY NOT NULL,
	"rows" json NOT NULL,
	"counted_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX "cases_ended_idx";--> statement-breakpoint
ALTER TABLE "eligibility_decisions" ADD COLUMN "recorded_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "plan_periods" ADD COLUMN "recorded_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
CREATE INDEX "case_events_overdue_idx" ON "case_events" USING btree ("case_id","at") WHERE type in ('overdue', 'supplement_overdue');--> statement-breakpoint
CREATE INDEX "case_events_recorded_idx" ON "case_events" USING btree ("recorded_at");--> statement-breakpoint
CREATE INDEX "cases_ended_stats_idx" ON "cases" USING btree (coalesce("closed_at", "last_event_at"),"opened_at","county","department","item_code","subject_id","status","completed_on_time","id","closed_at","last_event_at") WHERE status <> 'open';--> statement-breakpoint
CREATE INDEX "cases_open_stats_idx" ON "cases" USING btree ("opened_at","county","department","item_code","subject_id","completed_on_time","id") WHERE status = 'open';--> statement-breakpoint
CREATE INDEX "cases_created_idx" ON "cases" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "eligibility_decisions_recorded_idx" ON "eligibility_decisions" USING btree ("recorded_at");--> statement-breakpoint
CREATE INDEX "plan_periods_recorded_idx" ON "plan_periods" USING btree ("recorded_at");