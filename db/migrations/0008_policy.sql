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
CREATE TABLE "holiday_calendars" (
	"year" integer NOT NULL,
	"version" integer NOT NULL,
	"source" text NOT NULL,
	"holidays" jsonb NOT NULL,
	"make_up_workdays" jsonb NOT NULL,
	"entered_by" text NOT NULL,
	"entered_at" timestamp with time zone NOT NULL,
	CONSTRAINT "holiday_calendars_year_version_pk" PRIMARY KEY("year","version")
);
--> statement-breakpoint
CREATE TABLE "policy_rules" (
	"key" text NOT NULL,
	"version" integer NOT NULL,
	"value" jsonb NOT NULL,
	"enforced" boolean NOT NULL,
	"note" text,
	"set_by" text NOT NULL,
	"set_at" timestamp with time zone NOT NULL,
	CONSTRAINT "policy_rules_key_version_pk" PRIMARY KEY("key","version")
);
--> statement-breakpoint
CREATE INDEX "eligibility_decisions_scope_idx" ON "eligibility_decisions" USING btree ("county","department","decided_at");--> statement-breakpoint
CREATE INDEX "cases_ended_idx" ON "cases" USING btree (coalesce("closed_at", "last_event_at")) WHERE status <> 'open';