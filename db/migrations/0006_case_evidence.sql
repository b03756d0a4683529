ALTER TABLE "evidence_files" DROP CONSTRAINT "evidence_files_pkey";--> statement-breakpoint
ALTER TABLE "evidence_files" ADD COLUMN "case_id" text NOT NULL;--> statement-breakpoint
ALTER TABLE "evidence_files" ADD COLUMN "uploaded_by" text;--> statement-breakpoint
ALTER TABLE "evidence_files" ADD CONSTRAINT "evidence_files_case_id_sha256_pk" PRIMARY KEY("case_id","sha256");--> statement-breakpoint
ALTER TABLE "evidence_files" ADD CONSTRAINT "evidence_files_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cases_list_order_idx" ON "cases" USING btree ((not green_channel),coalesce(due_at, 'infinity'::timestamptz),"id");--> statement-breakpoint
CREATE INDEX "evidence_files_sha256_idx" ON "evidence_files" USING btree ("sha256");
