ALTER TABLE "needs" ADD COLUMN "need_index" smallint NOT NULL;--> statement-breakpoint
ALTER TABLE "needs" ADD COLUMN "green_channel" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "needs" ADD COLUMN "case_started_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "needs_survey_index_uq" ON "needs" USING btree ("survey_id","need_index");