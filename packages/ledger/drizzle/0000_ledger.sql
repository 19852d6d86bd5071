CREATE TABLE "anchor_outbox" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"leaf_hash" text NOT NULL,
	"salt" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"leaf_index" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "anchor_outbox_leaf_index_uq" UNIQUE("leaf_index")
);
--> statement-breakpoint
CREATE TABLE "ledger_state" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"size" bigint DEFAULT 0 NOT NULL,
	"root" text NOT NULL,
	"frontier" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	CONSTRAINT "ledger_state_singleton" CHECK ("ledger_state"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "merkle_leaves" (
	"leaf_index" bigint PRIMARY KEY NOT NULL,
	"outbox_seq" bigint NOT NULL,
	"leaf_hash" text NOT NULL,
	"tree_size" bigint NOT NULL,
	CONSTRAINT "merkle_leaves_outbox_seq_uq" UNIQUE("outbox_seq")
);
--> statement-breakpoint
CREATE TABLE "referential_registrations" (
	"version_id" text PRIMARY KEY NOT NULL,
	"source_sha256" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"tx_hash" text,
	"block_number" bigint,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"anchored_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "tree_heads" (
	"tree_size" bigint PRIMARY KEY NOT NULL,
	"root" text NOT NULL,
	"previous_size" bigint NOT NULL,
	"previous_root" text NOT NULL,
	"first_seq" bigint NOT NULL,
	"last_seq" bigint NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"raw_tx" text,
	"tx_hash" text,
	"tx_nonce" integer,
	"chain_id" integer,
	"contract" text,
	"block_number" bigint,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"anchored_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "anchor_outbox_pending_idx" ON "anchor_outbox" USING btree ("seq") WHERE "anchor_outbox"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "tree_heads_unanchored_idx" ON "tree_heads" USING btree ("tree_size") WHERE "tree_heads"."status" <> 'anchored';