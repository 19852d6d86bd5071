import { fileURLToPath } from "node:url";
import type { MigrationSet } from "@ccam/db";

/** The identity module's tables (users, refresh tokens, recovery codes). Same relative path from src/ and dist/. */
export const identityMigrations: MigrationSet = {
  module: "identity",
  folder: fileURLToPath(new URL("../../drizzle-identity", import.meta.url)),
};

export * from "./permissions.js";
export {
  ACCESS_TOKEN_TTL_SECONDS,
  type AuthUser,
  IdentityService,
  type TokenResponse,
  type UserView,
} from "./service.js";
