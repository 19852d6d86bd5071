CREATE TABLE "ccam_act_complements" (
	"version_id" integer NOT NULL,
	"code" text NOT NULL,
	"position" integer NOT NULL,
	"complementary_code" text NOT NULL,
	CONSTRAINT "ccam_act_complements_version_id_code_position_pk" PRIMARY KEY("version_id","code","position")
);
--> statement-breakpoint
CREATE TABLE "ccam_act_lines" (
	"version_id" integer NOT NULL,
	"code" text NOT NULL,
	"activity" smallint NOT NULL,
	"phase" smallint NOT NULL,
	"label" text,
	"tariff_secteur1" numeric(10, 2),
	"tariff_hors_secteur1" numeric(10, 2),
	"reimbursement_conditions" boolean NOT NULL,
	"prior_approval" boolean NOT NULL,
	"exo_tm" text,
	"regroupement" text,
	"icr" integer,
	"position" integer NOT NULL,
	CONSTRAINT "ccam_act_lines_version_id_code_activity_phase_pk" PRIMARY KEY("version_id","code","activity","phase")
);
--> statement-breakpoint
CREATE TABLE "ccam_acts" (
	"version_id" integer NOT NULL,
	"code" text NOT NULL,
	"label" text NOT NULL,
	"short_label" text,
	"chapter" text NOT NULL,
	"type" text,
	"sex" text,
	"start_date" text,
	"end_date" text,
	"modifiers" text[] NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "ccam_acts_version_id_code_pk" PRIMARY KEY("version_id","code")
);
--> statement-breakpoint
CREATE TABLE "ccam_chapters" (
	"version_id" integer NOT NULL,
	"path" text NOT NULL,
	"title" text NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "ccam_chapters_version_id_path_pk" PRIMARY KEY("version_id","path")
);
--> statement-breakpoint
CREATE TABLE "ccam_modifiers" (
	"version_id" integer NOT NULL,
	"code" text NOT NULL,
	"chapter" text NOT NULL,
	"label" text NOT NULL,
	"rates" jsonb NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "ccam_modifiers_version_id_code_pk" PRIMARY KEY("version_id","code")
);
--> statement-breakpoint
CREATE TABLE "ccam_notes" (
	"version_id" integer NOT NULL,
	"owner_type" text NOT NULL,
	"owner" text NOT NULL,
	"position" integer NOT NULL,
	"kind" text NOT NULL,
	"text" text NOT NULL,
	CONSTRAINT "ccam_notes_version_id_owner_type_owner_position_pk" PRIMARY KEY("version_id","owner_type","owner","position")
);
--> statement-breakpoint
CREATE TABLE "referential_versions" (
	"id" serial PRIMARY KEY NOT NULL,
	"version" text NOT NULL,
	"number" integer NOT NULL,
	"name" text NOT NULL,
	"effective_date" text NOT NULL,
	"source_sha256" text NOT NULL,
	"source_file" text NOT NULL,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL,
	"stats" jsonb NOT NULL,
	CONSTRAINT "referential_versions_version_uq" UNIQUE("version"),
	CONSTRAINT "referential_versions_sha_uq" UNIQUE("source_sha256")
);
--> statement-breakpoint
CREATE INDEX "ccam_act_complements_target_idx" ON "ccam_act_complements" USING btree ("version_id","complementary_code");--> statement-breakpoint
CREATE INDEX "ccam_acts_chapter_idx" ON "ccam_acts" USING btree ("version_id","chapter");