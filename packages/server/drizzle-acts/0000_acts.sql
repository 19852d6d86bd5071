CREATE TABLE "act_codes" (
	"act_id" uuid NOT NULL,
	"position" smallint NOT NULL,
	"code" text NOT NULL,
	"activity" smallint NOT NULL,
	"phase" smallint NOT NULL,
	"modifiers" text[] NOT NULL,
	"association_code" text,
	"amount" numeric(12, 2),
	CONSTRAINT "act_codes_act_id_position_pk" PRIMARY KEY("act_id","position")
);
--> statement-breakpoint
CREATE TABLE "act_suggestions" (
	"act_id" uuid PRIMARY KEY NOT NULL,
	"engine" text NOT NULL,
	"referential_version" text NOT NULL,
	"codes" jsonb NOT NULL,
	"latency_ms" numeric(10, 2) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "actes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"pseudonym" text NOT NULL,
	"performed_at" timestamp with time zone NOT NULL,
	"specialty" text,
	"setting" text,
	"clinical" text NOT NULL,
	"consent" boolean NOT NULL,
	"status" text NOT NULL,
	"referential_version" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "audit_entries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"act_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"kind" text NOT NULL,
	"actor_id" text NOT NULL,
	"actor_roles" text[] NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"request_id" text,
	"payload" jsonb NOT NULL,
	"payload_hash" text NOT NULL,
	"prev_hash" text NOT NULL,
	"entry_hash" text NOT NULL,
	"leaf_seq" integer,
	CONSTRAINT "audit_entries_act_position_uq" UNIQUE("act_id","position")
);
--> statement-breakpoint
CREATE TABLE "overrides" (
	"id" uuid PRIMARY KEY NOT NULL,
	"act_id" uuid NOT NULL,
	"suggested" jsonb NOT NULL,
	"codes" jsonb NOT NULL,
	"justification" text NOT NULL,
	"justification_hash" text NOT NULL,
	"reason_category" text NOT NULL,
	"signature" text NOT NULL,
	"signer" text NOT NULL,
	"decision_id" text NOT NULL,
	"content_hash" text NOT NULL,
	"nonce" text NOT NULL,
	"deadline" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "overrides_act_uq" UNIQUE("act_id")
);
--> statement-breakpoint
CREATE TABLE "patient_keys" (
	"pseudonym" text PRIMARY KEY NOT NULL,
	"wrapped_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"erased_at" timestamp with time zone,
	"erased_by" text
);
--> statement-breakpoint
CREATE TABLE "signer_nonces" (
	"signer" text PRIMARY KEY NOT NULL,
	"next" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "validation_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"act_id" uuid NOT NULL,
	"blocking" integer NOT NULL,
	"warnings" integer NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "act_codes_code_idx" ON "act_codes" USING btree ("code");--> statement-breakpoint
CREATE INDEX "actes_worklist_idx" ON "actes" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE INDEX "actes_created_idx" ON "actes" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "actes_pseudonym_idx" ON "actes" USING btree ("pseudonym");--> statement-breakpoint
CREATE INDEX "actes_creator_idx" ON "actes" USING btree ("created_by","created_at");--> statement-breakpoint
CREATE INDEX "audit_entries_at_idx" ON "audit_entries" USING btree ("at");--> statement-breakpoint
CREATE INDEX "validation_attempts_at_idx" ON "validation_attempts" USING btree ("at");