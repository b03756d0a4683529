CREATE TABLE "eligibility_decisions" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"ref_id" text NOT NULL,
	"subject_id" text NOT NULL,
	"item_code" text NOT NULL,
	"county" text NOT NULL,
	"department" text NOT NULL,
	"ground" text NOT NULL,
	"groups" jsonb NOT NULL,
	"reason" text,
	"refusal" text,
	"decided_by" text NOT NULL,
	"decided_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "eligibility_decisions_scope_idx" ON "eligibility_decisions" USING btree ("county","department","decided_at");