CREATE TABLE "api_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"token_hash" text NOT NULL,
	"label" text,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"user_id" text,
	"action" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" text,
	"ip" text,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "case_events" (
	"case_id" text NOT NULL,
	"seq" integer NOT NULL,
	"type" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor" text,
	"step" text,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "case_events_case_id_seq_pk" PRIMARY KEY("case_id","seq")
);
--> statement-breakpoint
CREATE TABLE "cases" (
	"id" text PRIMARY KEY NOT NULL,
	"subject_id" text NOT NULL,
	"item_code" text NOT NULL,
	"action_code" text NOT NULL,
	"county" text NOT NULL,
	"department" text NOT NULL,
	"catalog_version" text NOT NULL,
	"status" text NOT NULL,
	"step" text NOT NULL,
	"green_channel" boolean DEFAULT false NOT NULL,
	"on_hold" boolean DEFAULT false NOT NULL,
	"overdue" boolean DEFAULT false NOT NULL,
	"escalation_level" smallint DEFAULT 0 NOT NULL,
	"assignee" text,
	"due_at" timestamp with time zone,
	"supplement_due_at" timestamp with time zone,
	"opened_at" timestamp with time zone NOT NULL,
	"visited_at" timestamp with time zone,
	"reviewed_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"outcome" text,
	"delivery_method" text,
	"completed_on_time" boolean,
	"last_event_seq" integer DEFAULT 0 NOT NULL,
	"last_event_at" timestamp with time zone NOT NULL,
	"survey_id" text,
	"created_by" text,
	"state" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "evidence_files" (
	"sha256" text PRIMARY KEY NOT NULL,
	"size" bigint NOT NULL,
	"content_type" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"id" text PRIMARY KEY NOT NULL,
	"county" text NOT NULL,
	"department" text NOT NULL,
	"month" text NOT NULL,
	"source_type" text NOT NULL,
	"source_id" text NOT NULL,
	"subject_id" text NOT NULL,
	"item_code" text NOT NULL,
	"action_code" text NOT NULL,
	"row" jsonb NOT NULL,
	"amends_id" text,
	"shared_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_shares" (
	"county" text NOT NULL,
	"department" text NOT NULL,
	"month" text NOT NULL,
	"row_count" integer NOT NULL,
	"content_hash" text NOT NULL,
	"shared_at" timestamp with time zone NOT NULL,
	CONSTRAINT "ledger_shares_county_department_month_pk" PRIMARY KEY("county","department","month")
);
--> statement-breakpoint
CREATE TABLE "needs" (
	"id" text PRIMARY KEY NOT NULL,
	"survey_id" text NOT NULL,
	"subject_id" text NOT NULL,
	"item_code" text NOT NULL,
	"action_code" text NOT NULL,
	"ongoing" boolean NOT NULL,
	"case_id" text,
	"plan_id" text,
	"notes" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "plan_periods" (
	"plan_id" text NOT NULL,
	"period" text NOT NULL,
	"start_date" date NOT NULL,
	"end_date" date NOT NULL,
	"sessions" integer NOT NULL,
	"compliant" boolean NOT NULL,
	"shortfall" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"checked_at" timestamp with time zone NOT NULL,
	CONSTRAINT "plan_periods_plan_id_period_pk" PRIMARY KEY("plan_id","period")
);
--> statement-breakpoint
CREATE TABLE "plan_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"plan_id" text NOT NULL,
	"period" text NOT NULL,
	"session_date" date NOT NULL,
	"units" integer NOT NULL,
	"unit" text NOT NULL,
	"provider_staff" text NOT NULL,
	"content" text,
	"evidence" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"recorded_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "plans" (
	"id" text PRIMARY KEY NOT NULL,
	"subject_id" text NOT NULL,
	"item_code" text NOT NULL,
	"action_code" text NOT NULL,
	"county" text NOT NULL,
	"department" text NOT NULL,
	"catalog_version" text NOT NULL,
	"status" text NOT NULL,
	"provider" jsonb NOT NULL,
	"assessment" jsonb NOT NULL,
	"start_date" date NOT NULL,
	"end_date" date,
	"ended_at" timestamp with time zone,
	"end_reason" text,
	"current_period" text,
	"need_id" text,
	"created_by" text,
	"state" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "report_submissions" (
	"id" text PRIMARY KEY NOT NULL,
	"quarter" text NOT NULL,
	"level" text NOT NULL,
	"county" text,
	"department" text NOT NULL,
	"status" text NOT NULL,
	"table" jsonb NOT NULL,
	"content_hash" text,
	"drafted_at" timestamp with time zone,
	"submitted_at" timestamp with time zone,
	"submitted_by" text,
	"late" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subjects" (
	"id" text PRIMARY KEY NOT NULL,
	"id_number" text NOT NULL,
	"name" text NOT NULL,
	"sex" text NOT NULL,
	"birth_date" date NOT NULL,
	"certificate_number" text,
	"disability_category" smallint,
	"disability_grade" smallint,
	"county" text NOT NULL,
	"township" text,
	"community" text,
	"address" text,
	"phone" text,
	"guardian_name" text,
	"guardian_phone" text,
	"guardian_relation" text,
	"household_id" text,
	"consent_to_share" boolean DEFAULT false NOT NULL,
	"consent_at" timestamp with time zone,
	"eligibility" jsonb,
	"notes" text,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "surveys" (
	"id" text PRIMARY KEY NOT NULL,
	"subject_id" text NOT NULL,
	"surveyed_by" text NOT NULL,
	"surveyed_at" timestamp with time zone NOT NULL,
	"answers" jsonb NOT NULL,
	"eligibility" jsonb NOT NULL,
	"needs" jsonb NOT NULL,
	"idempotency_key" text,
	"request_hash" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"display_name" text NOT NULL,
	"role" text NOT NULL,
	"counties" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"departments" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"city_level" boolean DEFAULT false NOT NULL,
	"disabled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_events" ADD CONSTRAINT "case_events_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_subject_id_subjects_id_fk" FOREIGN KEY ("subject_id") REFERENCES "public"."subjects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "needs" ADD CONSTRAINT "needs_survey_id_surveys_id_fk" FOREIGN KEY ("survey_id") REFERENCES "public"."surveys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "needs" ADD CONSTRAINT "needs_subject_id_subjects_id_fk" FOREIGN KEY ("subject_id") REFERENCES "public"."subjects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_periods" ADD CONSTRAINT "plan_periods_plan_id_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_sessions" ADD CONSTRAINT "plan_sessions_plan_id_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plans" ADD CONSTRAINT "plans_subject_id_subjects_id_fk" FOREIGN KEY ("subject_id") REFERENCES "public"."subjects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "surveys" ADD CONSTRAINT "surveys_subject_id_subjects_id_fk" FOREIGN KEY ("subject_id") REFERENCES "public"."subjects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_hash_uq" ON "api_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_log_resource_idx" ON "audit_log" USING btree ("resource_type","resource_id");--> statement-breakpoint
CREATE INDEX "case_events_type_at_idx" ON "case_events" USING btree ("type","at");--> statement-breakpoint
CREATE INDEX "cases_open_due_idx" ON "cases" USING btree ("due_at") WHERE status = 'open';--> statement-breakpoint
CREATE INDEX "cases_scope_idx" ON "cases" USING btree ("county","department","item_code","status");--> statement-breakpoint
CREATE INDEX "cases_open_last_event_idx" ON "cases" USING btree ("last_event_at") WHERE status = 'open';--> statement-breakpoint
CREATE INDEX "cases_subject_idx" ON "cases" USING btree ("subject_id");--> statement-breakpoint
CREATE INDEX "cases_assignee_idx" ON "cases" USING btree ("assignee") WHERE status = 'open';--> statement-breakpoint
CREATE INDEX "cases_opened_idx" ON "cases" USING btree ("opened_at");--> statement-breakpoint
CREATE INDEX "cases_closed_idx" ON "cases" USING btree ("closed_at");--> statement-breakpoint
CREATE INDEX "ledger_scope_month_idx" ON "ledger_entries" USING btree ("county","department","month");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_source_uq" ON "ledger_entries" USING btree ("source_type","source_id","month") WHERE amends_id is null;--> statement-breakpoint
CREATE INDEX "needs_subject_idx" ON "needs" USING btree ("subject_id");--> statement-breakpoint
CREATE INDEX "needs_open_plan_idx" ON "needs" USING btree ("ongoing","plan_id");--> statement-breakpoint
CREATE INDEX "plan_sessions_plan_idx" ON "plan_sessions" USING btree ("plan_id","session_date");--> statement-breakpoint
CREATE INDEX "plans_scope_idx" ON "plans" USING btree ("county","department","item_code","status");--> statement-breakpoint
CREATE INDEX "plans_subject_idx" ON "plans" USING btree ("subject_id");--> statement-breakpoint
CREATE UNIQUE INDEX "report_submissions_uq" ON "report_submissions" USING btree ("quarter","level","county","department");--> statement-breakpoint
CREATE UNIQUE INDEX "subjects_id_number_uq" ON "subjects" USING btree ("id_number");--> statement-breakpoint
CREATE INDEX "subjects_county_idx" ON "subjects" USING btree ("county","township","community");--> statement-breakpoint
CREATE INDEX "subjects_household_idx" ON "subjects" USING btree ("household_id");--> statement-breakpoint
CREATE INDEX "subjects_name_idx" ON "subjects" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "surveys_idempotency_uq" ON "surveys" USING btree ("surveyed_by","idempotency_key");--> statement-breakpoint
CREATE INDEX "surveys_subject_idx" ON "surveys" USING btree ("subject_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_username_uq" ON "users" USING btree ("username");