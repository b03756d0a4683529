ALTER TABLE "plan_sessions" ALTER COLUMN "units" SET DATA TYPE numeric(7, 2);--> statement-breakpoint
ALTER TABLE "plan_periods" ADD COLUMN "qualifying" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "plan_periods" ADD COLUMN "required" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "plan_periods" ADD COLUMN "units" numeric(9, 2) DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "plan_periods" ADD COLUMN "partial" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "plan_periods" ADD COLUMN "weeks" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "plan_periods" ADD COLUMN "escalated_to" text;--> statement-breakpoint
ALTER TABLE "plan_periods" ADD COLUMN "ledger_entry_id" text;--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "age_out_on" date;--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "last_period_compliant" boolean;--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "escalation_level" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "last_event_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "plan_periods_escalated_idx" ON "plan_periods" USING btree ("escalated_to","checked_at");--> statement-breakpoint
CREATE INDEX "plans_created_idx" ON "plans" USING btree ("created_at","id");