import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./packages/ledger/src/store/schema.ts",
  out: "./packages/ledger/drizzle",
});
