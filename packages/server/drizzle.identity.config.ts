import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./packages/server/src/identity/schema.ts",
  out: "./packages/server/drizzle-identity",
});
