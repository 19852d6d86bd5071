CREATE TABLE "coder_learning_events" (
	"id" serial PRIMARY KEY NOT NULL,
	"site" text NOT NULL,
	"terms" text[] NOT NULL,
	"code" text NOT NULL,
	"weight" real NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "coder_learning_events_site_idx" ON "coder_learning_events" USING btree ("site");--> statement-breakpoint
CREATE INDEX "coder_learning_events_terms_idx" ON "coder_learning_events" USING gin ("terms");