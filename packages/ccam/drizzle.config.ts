import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./packages/ccam/src/store/schema.ts",
  out: "./packages/ccam/drizzle",
});
