import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fromRlp, getAddress, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { EnvSchema } from "./config.js";

/**
 * The deployment artefacts of deploy/ cannot run here (no Docker daemon, no cluster): this keeps them in step
 * with the config loader. Every variable they set for a CCAM AI container must be a variable of EnvSchema.
 */
const DEPLOY = fileURLToPath(new URL("../../../deploy/", import.meta.url));
/** Read by the C library rather than the app, set with Node's flags (decision 0010). */
const PROCESS_ENV = ["MALLOC_MMAP_THRESHOLD_"];
const KNOWN = new Set([...Object.keys(EnvSchema.shape), ...PROCESS_ENV]);
const read = (path: string) => readFileSync(join(DEPLOY, path), "utf8");

/** `ENV A=1 B=2` instructions of a Dockerfile (with line continuations). */
export function dockerfileEnv(text: string): string[] {
  const joined = text.replace(/\\\r?\n/g, " ");
  return joined
    .split(/\r?\n/)
    .filter((line) => /^\s*ENV\s/i.test(line))
    .flatMap((line) => [...line.replace(/^\s*ENV\s+/i, "").matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)])
    .map((m) => m[1] as string);
}

type Service = { image?: string; environment?: Record<string, unknown> | string[] };

/** Variables set in the environment of the compose services that run the CCAM AI image. */
export function composeEnv(text: string): { services: string[]; names: string[] } {
  const doc = parse(text, { merge: true }) as { services: Record<string, Service> };
  const services = Object.entries(doc.services).filter(([, s]) => s.image?.startsWith("ccam-ai:"));
  const names = services.flatMap(([, s]) => {
    const env = s.environment ?? {};
    return Array.isArray(env) ? env.map((entry) => entry.split("=")[0] as string) : Object.keys(env);
  });
  return { services: services.map(([name]) => name), names };
}

/** Variables of the Helm chart: `env` and `secretEnv` of values.yaml, and literal `- name: X` in templates. */
export function helmEnv(values: string, templates: string[]): string[] {
  const doc = parse(values) as { env?: Record<string, unknown>; secretEnv?: string[] };
  const fromTemplates = templates.flatMap((text) =>
    [...text.matchAll(/^\s*-\s+name:\s+([A-Z][A-Z0-9_]*)\s*$/gm)].map((m) => m[1] as string),
  );
  return [...Object.keys(doc.env ?? {}), ...(doc.secretEnv ?? []), ...fromTemplates];
}

const unknown = (names: string[]) => [...new Set(names)].filter((name) => !KNOWN.has(name)).sort();

describe("deployment artefacts use only variables of the config schema", () => {
  it("Dockerfile", () => {
    const names = dockerfileEnv(read("Dockerfile"));
    expect(names).toEqual(expect.arrayContaining(["HOST", "PORT", "CCAM_DATA_DIR", "CCAM_SOURCE_DIR"]));
    expect(unknown(names)).toEqual([]);
  });

  it("compose.yaml (api ×2, worker, chain-init)", () => {
    const { services, names } = composeEnv(read("compose.yaml"));
    expect(services.sort()).toEqual(["api-1", "api-2", "chain-init", "worker"]);
    expect(names).toEqual(
      expect.arrayContaining(["DATABASE_URL", "REDIS_URL", "CCAM_JWT_SECRET", "CCAM_CHAIN_RPC_URL"]),
    );
    expect(unknown(names)).toEqual([]);
  });

  it("the CCAM_* names of .env.example", () => {
    const names = [...read(".env.example").matchAll(/^#?\s*(CCAM_[A-Z0-9_]+)=/gm)].map((m) => m[1] as string);
    expect(names.length).toBeGreaterThan(5);
    expect(unknown(names)).toEqual([]);
  });

  it("Helm chart values and templates", () => {
    const dir = "helm/ccam-ai/templates";
    const templates = readdirSync(join(DEPLOY, dir)).map((file) => read(join(dir, file)));
    const names = helmEnv(read("helm/ccam-ai/values.yaml"), templates);
    expect(names).toEqual(
      expect.arrayContaining(["DATABASE_URL", "CCAM_CHAIN_CONTRACT", "CCAM_IMPORT_ON_START", "HOST"]),
    );
    expect(unknown(names)).toEqual([]);
  });

  it("the extractors catch a variable the schema does not know", () => {
    expect(unknown(dockerfileEnv("ENV HOST=0.0.0.0 \\\n    CCAM_TYPO=1\n"))).toEqual(["CCAM_TYPO"]);
    const compose = "services:\n  a:\n    image: ccam-ai:1\n    environment: [CCAM_NOPE=1, PORT=1]\n";
    expect(unknown(composeEnv(compose).names)).toEqual(["CCAM_NOPE"]);
    expect(unknown(helmEnv("env: { NODE_ENV: x }\n", ["        - name: CCAM_X\n"]))).toEqual([
      "CCAM_X",
      "NODE_ENV",
    ]);
  });
});

describe("the server's command lines", () => {
  const scripts = (
    JSON.parse(readFileSync(join(DEPLOY, "../package.json"), "utf8")) as { scripts: Record<string, string> }
  ).scripts;
  /** The words of an npm script's last command (after its build step). */
  const lastCommand = (script: string) => script.split("&&").at(-1)?.trim().split(/\s+/) ?? [];
  const LAUNCHER = "packages/server/bin/serve.sh";

  /** What the launcher runs, given an environment: a `node` on PATH that prints its environment and arguments. */
  const launch = (env: Record<string, string>, extra: string[] = []) => {
    const bin = mkdtempSync(join(tmpdir(), "ccam-launcher-"));
    try {
      writeFileSync(
        join(bin, "node"),
        '#!/bin/sh\necho "MALLOC_MMAP_THRESHOLD_=$MALLOC_MMAP_THRESHOLD_" "$@"\n',
      );
      chmodSync(join(bin, "node"), 0o755);
      const out = execFileSync("sh", [join(DEPLOY, "..", LAUNCHER), ...extra], {
        env: { PATH: `${bin}:/usr/bin:/bin`, ...env },
        encoding: "utf8",
      });
      const [assignment, ...args] = out.trim().split(" ");
      return { assignment, flags: args.slice(0, -1), entry: args.at(-1) };
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  };

  it("start the API the same way in `npm start` and in the image: the launcher", () => {
    expect(lastCommand(scripts.start as string)).toEqual(["sh", LAUNCHER]);
    const cmd = /^CMD (\[.*\])\s*$/m.exec(read("Dockerfile"))?.[1];
    expect(JSON.parse(cmd ?? "[]")).toEqual(["sh", LAUNCHER]);
  });

  it("run the bundle with the memory flags of the engine in use (decisions 0008, 0010, 0011, 0012)", () => {
    const common = ["--max-old-space-size=256", "--v8-pool-size=1", "--liftoff-only"];
    const embedded = launch({});
    expect(embedded.entry).toMatch(/\/dist\/bundle\/main\.js$/);
    expect(embedded.flags).toEqual(expect.arrayContaining([...common, "--max-semi-space-size=4"]));
    expect(embedded.assignment).toBe("MALLOC_MMAP_THRESHOLD_=131072");
    const postgres = launch({ DATABASE_URL: "postgres://db.example/ccam" });
    expect(postgres.flags).toEqual(expect.arrayContaining([...common, "--max-semi-space-size=16"]));
    expect(postgres.flags).toHaveLength(embedded.flags.length);
    // A value set by the operator (the image sets the same one) is kept.
    expect(launch({ MALLOC_MMAP_THRESHOLD_: "262144" }).assignment).toBe("MALLOC_MMAP_THRESHOLD_=262144");
    expect(read("Dockerfile")).toMatch(/^ENV MALLOC_MMAP_THRESHOLD_=131072$/m);
    // Flags Node refuses in NODE_OPTIONS (a CPU profile) are the launcher's arguments, passed on before the entry.
    const profiled = launch({}, ["--cpu-prof", "--cpu-prof-dir=/tmp/p"]);
    expect(profiled.flags).toEqual([...embedded.flags, "--cpu-prof", "--cpu-prof-dir=/tmp/p"]);
    expect(profiled.entry).toBe(embedded.entry);
  });

  it("run the bundled worker in `npm run worker`, compose and the Helm chart", () => {
    const worker = lastCommand(scripts.worker as string);
    expect(worker).toEqual(["node", "packages/server/dist/bundle/worker.js"]);
    const compose = parse(read("compose.yaml"), { merge: true }) as {
      services: Record<string, { command?: string[] }>;
    };
    const helm = /command: (\[.*\])/.exec(read("helm/ccam-ai/templates/worker.yaml"))?.[1];
    for (const command of [compose.services.worker?.command, JSON.parse(helm ?? "[]") as string[]])
      expect(command).toEqual(worker);
  });
});

describe("development Besu QBFT network", () => {
  const genesis = JSON.parse(read("besu/genesis.json")) as {
    config: Record<string, unknown>;
    extraData: Hex;
  };
  const keys = [1, 2, 3, 4].map((i) => read(`besu/keys/validator${i}/key`).trim() as Hex);

  it("lists the 4 validator keys in the QBFT extraData", () => {
    const [vanity, validators, vote, round, seals] = fromRlp(genesis.extraData) as [
      Hex,
      Hex[],
      unknown[],
      Hex,
      unknown[],
    ];
    expect(vanity).toBe(`0x${"00".repeat(32)}`);
    expect(validators.map((v) => getAddress(v))).toEqual(keys.map((k) => privateKeyToAccount(k).address));
    expect([vote, round, seals]).toEqual([[], "0x", []]);
  });

  it("activates Cancun (the contract is compiled for it) with QBFT", () => {
    expect(genesis.config).toMatchObject({ cancunTime: 0, shanghaiTime: 0, londonBlock: 0 });
    expect(genesis.config.qbft).toBeDefined();
  });

  it("points the app at the address where the recorder's first transaction deploys the registry", async () => {
    const { network } = (await import(join(DEPLOY, "besu/generate.mjs"))) as {
      network: () => { contract: string; genesis: unknown };
    };
    const generated = network();
    expect(generated.genesis).toEqual(genesis);
    const env = (parse(read("compose.yaml"), { merge: true }) as { "x-ccam-env": Record<string, string> })[
      "x-ccam-env"
    ];
    expect(env.CCAM_CHAIN_CONTRACT).toBe(generated.contract);
    const values = parse(read("helm/ccam-ai/values.yaml")) as { env: Record<string, string> };
    expect(values.env.CCAM_CHAIN_CONTRACT).toBe(generated.contract);
  });
});
