import { resolve } from "node:path";
import type { LedgerConfigInput } from "@ccam/ledger";
import { z } from "zod";
import { ROLES, type Role } from "./identity/permissions.js";

const commaList = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean),
);

const jsonObject = z.string().transform((value, context) => {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    context.addIssue({ code: "custom", message: "must be JSON" });
    return z.NEVER;
  }
});

const booleanFlag = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((value) => value === "true" || value === "1" || value === "yes");

/**
 * Every setting comes from the environment, validated once at start. Names are `CCAM_*`, plus the conventional
 * PORT, HOST, DATABASE_URL and REDIS_URL. This schema is the single list of variables (deploy files are checked
 * against it).
 */
export const EnvSchema = z
  .object({
    PORT: z.coerce.number().int().min(1).max(65535).default(8080),
    HOST: z.string().min(1).default("127.0.0.1"),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
      .optional(),
    /** Put the tables in this PostgreSQL schema (several deployments or test runs on one server). */
    CCAM_DATABASE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case SQL identifier")
      .optional(),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, "must be a redis:// URL")
      .optional(),
    CCAM_DATA_DIR: z.string().min(1).default("./data"),
    CCAM_SHARED_DIR: z.string().min(1).default("../shared"),
    CCAM_SOURCE_DIR: z.string().min(1).optional(),
    CCAM_NOMENSLAND_DIR: z.string().min(1).optional(),
    CCAM_IMPORT_ON_START: booleanFlag.default(true),
    /** Apply pending migrations at start; false when the app connects as a restricted role (`ccam db grant`). */
    CCAM_MIGRATE_ON_START: booleanFlag.default(true),
    CCAM_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    CCAM_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
    /** Browser origins allowed to call the API (comma-separated); unset = no cross-origin access. */
    CCAM_CORS_ORIGINS: commaList.default([]),
    /** HS256 key of the access tokens; unset = a random key generated once in CCAM_DATA_DIR (single instance). */
    CCAM_JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    CCAM_REFRESH_TTL_HOURS: z.coerce.number().int().min(1).max(720).default(12),
    CCAM_LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).max(100).default(5),
    CCAM_LOCKOUT_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
    /** Requests per minute and client address on each /auth route. */
    CCAM_AUTH_RATE_LIMIT: z.coerce.number().int().min(1).default(20),
    /** Roles whose members must enrol a TOTP second factor before doing anything else (comma-separated). */
    CCAM_MFA_REQUIRED_ROLES: commaList.pipe(z.array(z.enum(ROLES))).default([]),
    /** First administrator, created when no user exists; without a password a one-time one is printed. */
    CCAM_ADMIN_EMAIL: z.email().default("admin@ccam.local"),
    CCAM_ADMIN_PASSWORD: z.string().min(12, "must be at least 12 characters").optional(),
    /** OpenID Connect provider (e.g. Pro Santé Connect); OIDC login is enabled when the issuer is set. */
    CCAM_OIDC_ISSUER: z.url().optional(),
    CCAM_OIDC_CLIENT_ID: z.string().min(1).optional(),
    CCAM_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    CCAM_OIDC_REDIRECT_URI: z.url().optional(),
    CCAM_OIDC_SCOPES: z.string().min(1).default("openid email profile"),
    /** Claim (dot path into the ID token or userinfo) whose values are mapped to roles. */
    CCAM_OIDC_ROLE_CLAIM: z.string().min(1).default("roles"),
    /** JSON object: claim value → role or roles, e.g. {"10":"medecin","DIM":["superviseur_dim"]}. */
    CCAM_OIDC_ROLE_MAP: jsonObject
      .pipe(z.record(z.string(), z.union([z.enum(ROLES), z.array(z.enum(ROLES))])))
      .default({}),
    /** `id:<base64 32 bytes>[,older…]`; unset (with CCAM_MASTER_KEYS) = keys generated in CCAM_DATA_DIR. */
    CCAM_PSEUDONYM_KEYS: z.string().min(1).optional(),
    CCAM_MASTER_KEYS: z.string().min(1).optional(),
    /** secp256k1 key (0x + 64 hex) that signs overrides for users; required with the two key rings above. */
    CCAM_SIGNER_PRIVATE_KEY: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits")
      .optional(),
    /** embedded (local anvil in CCAM_DATA_DIR/chain), rpc (any JSON-RPC node) or off (Merkle log without chain). */
    CCAM_LEDGER_MODE: z.enum(["embedded", "rpc", "off"]).optional(),
    CCAM_CHAIN_RPC_URL: z.url().optional(),
    CCAM_CHAIN_CONTRACT: z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x address")
      .optional(),
    CCAM_CHAIN_PRIVATE_KEY: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits")
      .optional(),
    CCAM_CHAIN_CONFIRMATIONS: z.coerce.number().int().min(1).max(1000).default(1),
    CCAM_LEDGER_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(256),
    CCAM_LEDGER_BATCH_MAX_DELAY_MS: z.coerce.number().int().min(0).default(2000),
    /**
     * `inprocess`: this API process anchors the ledger; `off`: it only enqueues, and a separate worker process
     * (`node packages/server/dist/bundle/worker.js`, which always anchors) does it. `off` needs a shared chain (rpc).
     */
    CCAM_LEDGER_WORKER: z.enum(["inprocess", "off"]).default("inprocess"),
    /** Optional re-ranker: any OpenAI-compatible chat API (Ollama, vLLM, Mistral, OpenAI); unset = offline only. */
    CCAM_LLM_BASE_URL: z.url().optional(),
    CCAM_LLM_MODEL: z.string().min(1).optional(),
    CCAM_LLM_API_KEY: z.string().min(1).optional(),
    /** Time the re-ranker may take before the offline result answers alone. */
    CCAM_LLM_BUDGET_MS: z.coerce.number().int().min(50).max(30_000).default(1500),
    /** This site's identifier (FINESS…): scopes the learning loop. */
    CCAM_SITE: z.string().trim().min(1).max(64).default("site"),
    CCAM_ALERT_OVERRIDE_RATE: z.coerce.number().min(0).max(1).default(0.3),
    CCAM_ALERT_SUGGESTION_P95_MS: z.coerce.number().min(1).default(200),
    CCAM_ALERT_ANCHORING_LAG_MS: z.coerce.number().min(1).default(60_000),
  })
  .superRefine((env, context) => {
    if (Boolean(env.CCAM_LLM_BASE_URL) !== Boolean(env.CCAM_LLM_MODEL)) {
      const missing = env.CCAM_LLM_BASE_URL ? "CCAM_LLM_MODEL" : "CCAM_LLM_BASE_URL";
      context.addIssue({
        code: "custom",
        path: [missing],
        message: "CCAM_LLM_BASE_URL and CCAM_LLM_MODEL go together",
      });
    }
    const ledgerMode = env.CCAM_LEDGER_MODE ?? (env.CCAM_CHAIN_RPC_URL ? "rpc" : "embedded");
    if (env.CCAM_LEDGER_WORKER === "off" && ledgerMode === "embedded") {
      context.addIssue({
        code: "custom",
        path: ["CCAM_LEDGER_WORKER"],
        message:
          "off needs a chain shared with the worker process (CCAM_LEDGER_MODE=rpc): the embedded chain belongs to one process",
      });
    }
    const oidc = ["CCAM_OIDC_ISSUER", "CCAM_OIDC_CLIENT_ID", "CCAM_OIDC_REDIRECT_URI"] as const;
    if (oidc.some((key) => env[key]) && !oidc.every((key) => env[key])) {
      for (const key of oidc.filter((k) => !env[k])) {
        context.addIssue({ code: "custom", path: [key], message: `required with ${oidc.join(", ")}` });
      }
    }
  });

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  databaseSchema: string | undefined;
  redisUrl: string | undefined;
  dataDir: string;
  /** Folder of official exports imported at start (CSV or XLSX). */
  sourceDir: string;
  /** ATIH tables used to enrich the import; optional. */
  nomenslandDir: string;
  importOnStart: boolean;
  migrateOnStart: boolean;
  logLevel: Env["CCAM_LOG_LEVEL"];
  bodyLimit: number;
  corsOrigins: string[];
  identity: IdentityConfig;
  keys: { pseudonymKeys: string | undefined; masterKeys: string | undefined; signerKey: string | undefined };
  ledger: LedgerConfigInput;
  /** Whether this process runs the anchoring worker (`off`: a separate worker process does). */
  ledgerWorker: Env["CCAM_LEDGER_WORKER"];
  /** The optional LLM re-ranker; undefined = offline engine only. */
  llm: { baseURL: string; model: string; apiKey: string | undefined; budgetMs: number } | undefined;
  site: string;
  alerts: { overrideRate: number; suggestionP95Ms: number; anchoringLagMs: number };
}

export interface IdentityConfig {
  jwtSecret: string | undefined;
  refreshTtlHours: number;
  lockoutThreshold: number;
  lockoutMinutes: number;
  authRateLimit: number;
  mfaRequiredRoles: Role[];
  adminEmail: string;
  adminPassword: string | undefined;
  /** Set when CCAM_OIDC_ISSUER, CLIENT_ID and REDIRECT_URI are. */
  oidc: OidcConfig | undefined;
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  redirectUri: string;
  scopes: string;
  roleClaim: string;
  roleMap: Record<string, Role | Role[]>;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Reads the configuration from `env`; throws a ConfigError listing every invalid variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.fromEntries(
    Object.keys(EnvSchema.shape).map((key) => [key, env[key] === "" ? undefined : env[key]]),
  );
  const parsed = EnvSchema.safeParse(known);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (issue) =>
          `${issue.path.join(".")}: ${issue.message} (got ${JSON.stringify(known[String(issue.path[0])])})`,
      ),
    );
  }
  const e = parsed.data;
  const shared = resolve(e.CCAM_SHARED_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.CCAM_DATABASE_SCHEMA,
    redisUrl: e.REDIS_URL,
    dataDir: resolve(e.CCAM_DATA_DIR),
    sourceDir: resolve(e.CCAM_SOURCE_DIR ?? `${shared}/ccam/ameli`),
    nomenslandDir: resolve(e.CCAM_NOMENSLAND_DIR ?? `${shared}/ccam/nomensland`),
    importOnStart: e.CCAM_IMPORT_ON_START,
    migrateOnStart: e.CCAM_MIGRATE_ON_START,
    logLevel: e.CCAM_LOG_LEVEL,
    bodyLimit: e.CCAM_BODY_LIMIT_BYTES,
    corsOrigins: e.CCAM_CORS_ORIGINS,
    keys: {
      pseudonymKeys: e.CCAM_PSEUDONYM_KEYS,
      masterKeys: e.CCAM_MASTER_KEYS,
      signerKey: e.CCAM_SIGNER_PRIVATE_KEY,
    },
    ledger: {
      mode: e.CCAM_LEDGER_MODE ?? (e.CCAM_CHAIN_RPC_URL ? "rpc" : "embedded"),
      rpcUrl: e.CCAM_CHAIN_RPC_URL,
      contractAddress: e.CCAM_CHAIN_CONTRACT,
      privateKey: e.CCAM_CHAIN_PRIVATE_KEY,
      confirmations: e.CCAM_CHAIN_CONFIRMATIONS,
      batchSize: e.CCAM_LEDGER_BATCH_SIZE,
      batchMaxDelayMs: e.CCAM_LEDGER_BATCH_MAX_DELAY_MS,
      dataDir: resolve(e.CCAM_DATA_DIR),
    },
    ledgerWorker: e.CCAM_LEDGER_WORKER,
    llm:
      e.CCAM_LLM_BASE_URL && e.CCAM_LLM_MODEL
        ? {
            baseURL: e.CCAM_LLM_BASE_URL,
            model: e.CCAM_LLM_MODEL,
            apiKey: e.CCAM_LLM_API_KEY,
            budgetMs: e.CCAM_LLM_BUDGET_MS,
          }
        : undefined,
    site: e.CCAM_SITE,
    alerts: {
      overrideRate: e.CCAM_ALERT_OVERRIDE_RATE,
      suggestionP95Ms: e.CCAM_ALERT_SUGGESTION_P95_MS,
      anchoringLagMs: e.CCAM_ALERT_ANCHORING_LAG_MS,
    },
    identity: {
      jwtSecret: e.CCAM_JWT_SECRET,
      refreshTtlHours: e.CCAM_REFRESH_TTL_HOURS,
      lockoutThreshold: e.CCAM_LOCKOUT_THRESHOLD,
      lockoutMinutes: e.CCAM_LOCKOUT_MINUTES,
      authRateLimit: e.CCAM_AUTH_RATE_LIMIT,
      mfaRequiredRoles: e.CCAM_MFA_REQUIRED_ROLES,
      adminEmail: e.CCAM_ADMIN_EMAIL,
      adminPassword: e.CCAM_ADMIN_PASSWORD,
      oidc:
        e.CCAM_OIDC_ISSUER && e.CCAM_OIDC_CLIENT_ID && e.CCAM_OIDC_REDIRECT_URI
          ? {
              issuer: e.CCAM_OIDC_ISSUER,
              clientId: e.CCAM_OIDC_CLIENT_ID,
              clientSecret: e.CCAM_OIDC_CLIENT_SECRET,
              redirectUri: e.CCAM_OIDC_REDIRECT_URI,
              scopes: e.CCAM_OIDC_SCOPES,
              roleClaim: e.CCAM_OIDC_ROLE_CLAIM,
              roleMap: e.CCAM_OIDC_ROLE_MAP,
            }
          : undefined,
    },
  };
}
