ALTER TABLE "ledger_entries" ADD COLUMN "amend_reason" text;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "created_by" text;--> statement-breakpoint
ALTER TABLE "ledger_shares" ADD COLUMN "shared_by" text DEFAULT 'schedule' NOT NULL;--> statement-breakpoint
ALTER TABLE "report_submissions" ADD COLUMN "reminded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "report_submissions" ADD COLUMN "reminders" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "report_submissions" ADD COLUMN "shared_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "ledger_amends_idx" ON "ledger_entries" USING btree ("amends_id");