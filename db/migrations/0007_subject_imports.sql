CREATE TABLE "household_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"household_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subject_import_rows" (
	"import_id" text NOT NULL,
	"row_number" integer NOT NULL,
	"cells" jsonb NOT NULL,
	"formula_columns" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"id_key" text,
	"address_key" text,
	"values" jsonb,
	"reasons" jsonb,
	"action" text,
	"subject_id" text,
	"applied_at" timestamp with time zone,
	CONSTRAINT "subject_import_rows_import_id_row_number_pk" PRIMARY KEY("import_id","row_number")
);
--> statement-breakpoint
CREATE TABLE "subject_imports" (
	"id" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"file_name" text NOT NULL,
	"format" text NOT NULL,
	"sha256" text NOT NULL,
	"size" integer NOT NULL,
	"file" "bytea" NOT NULL,
	"created_by" text NOT NULL,
	"scope" jsonb NOT NULL,
	"mapping" jsonb NOT NULL,
	"rows_total" integer,
	"rows_done" integer DEFAULT 0 NOT NULL,
	"rows_committed" integer DEFAULT 0 NOT NULL,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"skipped_rows" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"merged" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error" text,
	"validated_at" timestamp with time zone,
	"committed_by" text,
	"committed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "subject_import_rows" ADD CONSTRAINT "subject_import_rows_import_id_subject_imports_id_fk" FOREIGN KEY ("import_id") REFERENCES "public"."subject_imports"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "household_keys_household_idx" ON "household_keys" USING btree ("household_id");--> statement-breakpoint
CREATE INDEX "subject_import_rows_id_key_idx" ON "subject_import_rows" USING btree ("import_id","id_key");--> statement-breakpoint
CREATE INDEX "subject_import_rows_address_key_idx" ON "subject_import_rows" USING btree ("import_id","address_key");--> statement-breakpoint
CREATE INDEX "subject_imports_created_by_idx" ON "subject_imports" USING btree ("created_by","created_at");