import { index, pgTable, real, serial, text, timestamp } from "drizzle-orm/pg-core";

/** One row per code chosen (+1) or rejected (−1) for a normalised text at a site. */
export const coderLearningEvents = pgTable(
  "coder_learning_events",
  {
    id: serial("id").primaryKey(),
    site: text("site").notNull(),
    /** Distinct stemmed terms of the normalised text. */
    terms: text("terms").array().notNull(),
    code: text("code").notNull(),
    weight: real("weight").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [
    index("coder_learning_events_site_idx").on(t.site),
    index("coder_learning_events_terms_idx").using("gin", t.terms),
  ],
);
