import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./packages/coder/src/learning/schema.ts",
  out: "./packages/coder/drizzle",
});
