import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, EnvSchema, loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("has zero-setup defaults: port 8080, PGlite in ./data, exports from ../shared/ccam/ameli", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: "127.0.0.1",
      databaseUrl: undefined,
      dataDir: resolve("./data"),
      sourceDir: resolve("../shared/ccam/ameli"),
      nomenslandDir: resolve("../shared/ccam/nomensland"),
      importOnStart: true,
      logLevel: "info",
    });
  });

  it("reads every variable, and treats empty ones as unset", () => {
    const config = loadConfig({
      PORT: "9000",
      DATABASE_URL: "postgres://app@db:5432/ccam",
      CCAM_DATABASE_SCHEMA: "site_a",
      CCAM_SHARED_DIR: "/srv/shared",
      CCAM_IMPORT_ON_START: "false",
      CCAM_LOG_LEVEL: "",
    });
    expect(config).toMatchObject({
      port: 9000,
      databaseUrl: "postgres://app@db:5432/ccam",
      databaseSchema: "site_a",
      sourceDir: "/srv/shared/ccam/ameli",
      importOnStart: false,
      logLevel: "info",
    });
  });

  it("fails fast with every invalid variable named", () => {
    const attempt = () =>
      loadConfig({ PORT: "eighty", DATABASE_URL: "mysql://x", CCAM_IMPORT_ON_START: "maybe" });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems.join("\n");
      expect(problems).toMatch(/^PORT: .*"eighty"/m);
      expect(problems).toMatch(/^DATABASE_URL: must be a postgres:\/\/ URL/m);
      expect(problems).toMatch(/^CCAM_IMPORT_ON_START: /m);
      expect((error as Error).message).toMatch(/^Invalid configuration:/);
    }
  });

  it("names every variable in one schema (the list deployment files are checked against)", () => {
    expect(Object.keys(EnvSchema.shape)).toEqual(
      expect.arrayContaining([
        "PORT",
        "HOST",
        "DATABASE_URL",
        "REDIS_URL",
        "CCAM_DATA_DIR",
        "CCAM_SOURCE_DIR",
        "CCAM_JWT_SECRET",
        "CCAM_CORS_ORIGINS",
        "CCAM_OIDC_ROLE_MAP",
      ]),
    );
  });

  it("reads the identity settings: secure defaults, lists, the OIDC role map as JSON", () => {
    expect(loadConfig({}).identity).toMatchObject({
      jwtSecret: undefined,
      refreshTtlHours: 12,
      lockoutThreshold: 5,
      lockoutMinutes: 15,
      mfaRequiredRoles: [],
      adminEmail: "admin@ccam.local",
      oidc: undefined,
    });
    const config = loadConfig({
      CCAM_CORS_ORIGINS: "https://a.example, https://b.example",
      CCAM_MFA_REQUIRED_ROLES: "admin,superviseur_dim",
      CCAM_OIDC_ISSUER: "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet",
      CCAM_OIDC_CLIENT_ID: "ccam-ai",
      CCAM_OIDC_REDIRECT_URI: "https://ccam.chu.example/auth/oidc/callback",
      CCAM_OIDC_ROLE_CLAIM: "SubjectRefPro.exercices.codeProfession",
      CCAM_OIDC_ROLE_MAP: '{"10": "medecin", "DIM": ["superviseur_dim"]}',
    });
    expect(config.corsOrigins).toEqual(["https://a.example", "https://b.example"]);
    expect(config.identity.mfaRequiredRoles).toEqual(["admin", "superviseur_dim"]);
    expect(config.identity.oidc).toMatchObject({
      clientId: "ccam-ai",
      scopes: "openid email profile",
      roleMap: { "10": "medecin", DIM: ["superviseur_dim"] },
    });
  });

  it("refuses weak or inconsistent identity settings, naming each variable", () => {
    try {
      loadConfig({
        CCAM_JWT_SECRET: "short",
        CCAM_MFA_REQUIRED_ROLES: "admin,chef",
        CCAM_OIDC_ISSUER: "https://idp.example",
        CCAM_OIDC_ROLE_MAP: "{not json",
      });
      expect.unreachable();
    } catch (error) {
      const problems = (error as ConfigError).problems.join("\n");
      expect(problems).toMatch(/^CCAM_JWT_SECRET: must be at least 32 characters/m);
      expect(problems).toMatch(/^CCAM_MFA_REQUIRED_ROLES\.1: /m);
      expect(problems).toMatch(/^CCAM_OIDC_ROLE_MAP: must be JSON/m);
    }
    expect(() => loadConfig({ CCAM_OIDC_ISSUER: "https://idp.example" })).toThrow(
      /CCAM_OIDC_CLIENT_ID: required with .*\n.*CCAM_OIDC_REDIRECT_URI: required with/,
    );
  });

  it("refuses settings that only make sense together", () => {
    expect(() => loadConfig({ CCAM_LLM_BASE_URL: "http://127.0.0.1:11434/v1" })).toThrow(
      /CCAM_LLM_MODEL: CCAM_LLM_BASE_URL and CCAM_LLM_MODEL go together/,
    );
    // The embedded chain belongs to one process: anchoring elsewhere needs a shared (rpc) chain.
    expect(() => loadConfig({ CCAM_LEDGER_WORKER: "off" })).toThrow(
      /CCAM_LEDGER_WORKER: off needs a chain shared/,
    );
    const shared = loadConfig({
      CCAM_LEDGER_WORKER: "off",
      CCAM_CHAIN_RPC_URL: "http://besu:8545",
      CCAM_LLM_BASE_URL: "http://127.0.0.1:11434/v1",
      CCAM_LLM_MODEL: "mistral",
    });
    expect(shared).toMatchObject({
      ledgerWorker: "off",
      ledger: { mode: "rpc" },
      llm: { model: "mistral", budgetMs: 1500 },
    });
  });
});

describe("README configuration table", () => {
  it("documents every variable of the schema, and only those", () => {
    const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");
    const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("## Development"));
    const documented = [...section.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect([...documented].sort()).toEqual(Object.keys(EnvSchema.shape).sort());
  });
});
