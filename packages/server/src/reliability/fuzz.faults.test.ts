import fc from "fast-check";
import type { FastifyInstance, HTTPMethods, InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../app.js";
import type { Runtime } from "../bootstrap.js";
import type { RouteAccess } from "../identity/http.js";
import { allows, ROLES, type Role } from "../identity/permissions.js";
import { type SignedIn, signIn } from "../test-support/auth.js";
import { openTestRuntime } from "../test-support/runtime.js";
import { recordResult } from "./results.js";

/**
 * Property-based fuzzing of every registered route (walked from `app.routeAccess`, so a new route is fuzzed the
 * day it is added): path parameters, query strings, bodies (JSON values, schema-shaped objects with hostile
 * values, malformed JSON, forms, wrong content types), as a role the route allows so the handler is reached.
 * Never a 5xx, every error is problem+json, and afterwards every act's audit chain is still whole.
 */

const TOTAL = Number(process.env.CCAM_FAULTS_FUZZ_INPUTS ?? 12_000);
const SEED = Number(process.env.CCAM_FAULTS_SEED ?? 4242);
const REQUEST_TIMEOUT_MS = 15_000;
const TEXT = "Prothèse totale de hanche droite cimentée par voie postéro-latérale pour coxarthrose";

// --- values ------------------------------------------------------------------------------------------------

const hostileString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "\ud800",
    "'; drop table actes; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00",
    "$" + "{jndi:ldap://127.0.0.1/a}",
    "__proto__",
    "constructor",
    "NaN",
    "Infinity",
    "-1",
    "1e309",
    "0x10",
    "9999-99-99",
    "2026-02-30",
    "2026-03-02T25:61:00Z",
    "V81",
    "V0",
    "NEKA020",
    "neka020",
    "ZZZZ999",
    "k1.".padEnd(67, "0"),
    "x".repeat(5000),
  ),
);
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1, 4, 5, 6, 131, 2 ** 31, 2 ** 53, -0, 1e308),
);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: "small" },
  hostileString,
  hostileNumber,
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileString, { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
);
/** Half plausible, half hostile: plausible values get past validation and exercise the handlers. */
const field = <T>(plausible: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: plausible }, { weight: 1, arbitrary: anyValue });
/** encodeURIComponent throws on lone surrogates: those are sent as U+FFFD. */
const encode = (value: string) =>
  encodeURIComponent(
    value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd"),
  );
const codeLine = fc.record(
  {
    code: field(fc.constantFrom("NEKA020", "LFQK002", "YYYY010", "ZZLP025", "AHQP001", "neka020")),
    activity: field(fc.integer({ min: 0, max: 6 })),
    phase: field(fc.integer({ min: -1, max: 4 })),
    modifiers: field(fc.array(fc.constantFrom("F", "U", "J", "K", "7", "Q", "ZZ"), { maxLength: 5 })),
  },
  { requiredKeys: ["code"] },
);
const codes = field(fc.array(codeLine, { minLength: 0, maxLength: 4 }));
const date = field(
  fc.constantFrom("2026-03-02", "2026-03-02T10:30:00Z", "2025-01-01", "2031-12-31", "1900-01-01"),
);
const patient = field(
  fc.record({
    sex: field(fc.constantFrom("M", "F", "X")),
    ageYears: field(fc.integer({ min: -1, max: 140 })),
  }),
);

const shapedBodies: fc.Arbitrary<unknown>[] = [
  // POST /actes, /suggestions/preview
  fc.record(
    {
      patientId: field(fc.constantFrom("IPP-FUZZ-1", "IPP-FUZZ-2", "IPP FUZZ/3")),
      performedAt: date,
      specialty: field(fc.constantFrom("orthopédie", "cardiologie")),
      text: field(fc.constantFrom(TEXT, "ECG de repos", "coelioscopie exploratrice", "ab")),
      setting: field(fc.constantFrom("secteur1", "hors_secteur1")),
      patient,
      consent: field(fc.boolean()),
    },
    { requiredKeys: [] },
  ),
  // POST /validation/{id}, /override, /ccam/validate
  fc.record(
    {
      codes,
      justification: field(fc.constantFrom("Le compte rendu opératoire décrit une reprise.", "x", "")),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      date,
      version: field(fc.constantFrom("V81", "V78", "V99")),
      patient,
      acts: codes,
      setting: field(fc.constantFrom("secteur1")),
    },
    { requiredKeys: [] },
  ),
  // identity
  fc.record(
    {
      email: field(fc.constantFrom("fuzz@chu.example", "not-an-email", "A@B.C")),
      password: field(fc.constantFrom("correct horse battery staple", "short")),
      roles: field(fc.array(fc.constantFrom(...ROLES, "root"), { maxLength: 3 })),
      site: field(fc.constantFrom("site", "CHU-1")),
      disabled: field(fc.boolean()),
      current_password: field(fc.constantFrom("correct horse battery staple", "wrong")),
      new_password: field(fc.constantFrom("another long passphrase", "x")),
      refresh_token: field(fc.constantFrom("a".repeat(43))),
      code: field(fc.constantFrom("123456", "abcdef")),
    },
    { requiredKeys: [] },
  ),
  fc.dictionary(hostileString, anyValue, { maxKeys: 6 }),
];

type Body = { payload?: string | object; contentType?: string };
const body: fc.Arbitrary<Body> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .oneof(...shapedBodies)
      .map((payload) => ({ payload: payload as object, contentType: "application/json" })),
  },
  {
    weight: 2,
    arbitrary: fc
      .jsonValue({ maxDepth: 4 })
      .map((v) => ({ payload: JSON.stringify(v), contentType: "application/json" })),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.string({ maxLength: 60 }),
        fc.constantFrom(
          "{",
          '{"a":',
          "[1,2",
          '{"__proto__":{"x":1}}',
          '{"constructor":{"prototype":{}}}',
          "\u0000",
          "nul",
          "{}".repeat(2000),
        ),
      )
      .map((payload) => ({ payload, contentType: "application/json" })),
  },
  {
    weight: 1,
    arbitrary: fc
      .dictionary(
        fc.constantFrom("grant_type", "username", "password", "refresh_token", "mfa_token", "otp", "x"),
        hostileString,
        { maxKeys: 4 },
      )
      .map((fields) => ({
        payload: new URLSearchParams(fields as Record<string, string>).toString(),
        contentType: "application/x-www-form-urlencoded",
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          "text/plain",
          "application/xml",
          "multipart/form-data; boundary=x",
          "application/json; charset=latin1",
          "garbage/////",
        ),
        fc.string({ maxLength: 40 }),
      )
      .map(([contentType, payload]) => ({ payload, contentType })),
  },
  { weight: 1, arbitrary: fc.constant({}) },
);

const QUERY_KEYS = [
  "q",
  "version",
  "limit",
  "cursor",
  "status",
  "from",
  "to",
  "specialty",
  "date",
  "redirect",
];
const query = fc.oneof(
  fc.constant(""),
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 8 })),
        fc.oneof(
          hostileString,
          hostileNumber.map(String),
          fc.constantFrom("pending", "validated", "20", "0", "101", "acupuncture"),
        ),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => `?${pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join("&")}`),
  fc.constantFrom("?%", "?a=%zz", "?limit=1&limit=2", "?q[]=x&q[]=y", "?=&&=", `?q=${"a".repeat(3000)}`),
);

// --- the harness -------------------------------------------------------------------------------------------

describe("fuzzing every route's path, query and body", () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  const sessions = new Map<Role, SignedIn>();
  const actIds: string[] = [];
  const pseudonyms: string[] = [];
  const statuses = new Map<number, number>();
  let inputs = 0;
  let startedAt = 0;

  beforeAll(async () => {
    runtime = await openTestRuntime(
      ["CCAM_V81_2026-01-01.csv"],
      { CCAM_AUTH_RATE_LIMIT: "10000000", CCAM_LEDGER_BATCH_MAX_DELAY_MS: "100" },
      { ledger: true },
    );
    app = await buildApp(runtime, { logger: false });
    for (const role of ROLES) sessions.set(role, await signIn(runtime, [role]));
    // Real acts, so that path parameters sometimes name one and handlers run to the end.
    for (let i = 0; i < 3; i++) {
      const created = await app.inject({
        method: "POST",
        url: "/actes",
        headers: sessions.get("medecin")?.headers,
        payload: {
          patientId: `IPP-FUZZ-SEED-${i}`,
          performedAt: "2026-03-02",
          text: TEXT,
          patient: { sex: "F", ageYears: 70 },
        },
      });
      expect(created.statusCode, created.body).toBe(201);
      actIds.push(created.json().act.id);
      pseudonyms.push(created.json().act.pseudonym);
    }
    startedAt = Date.now();
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
    recordResult("fuzzing", {
      scenario: "HTTP fuzzing (every route: path, query, body)",
      load: `${inputs} inputs over ${app?.routeAccess.length ?? 0} routes`,
      faults:
        "hostile path params, queries, JSON values, schema-shaped bodies, malformed JSON, forms, content types",
      acknowledged: [...statuses.entries()].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0),
      lost: 0,
      notes: `statuses ${JSON.stringify(Object.fromEntries(statuses))}; 0 × 5xx, every error problem+json`,
      durationMs: Date.now() - startedAt,
    });
  });

  const pathValue = (name: string) =>
    fc
      .oneof(
        {
          weight: 3,
          arbitrary: fc
            .constantFrom(
              ...actIds,
              ...pseudonyms,
              "V81",
              "V78",
              "NEKA020",
              "00000000-0000-4000-8000-000000000000",
            )
            .map(encodeURIComponent),
        },
        { weight: 1, arbitrary: fc.uuid().map(String) },
        { weight: 3, arbitrary: hostileString.map(encode) },
        {
          weight: 1,
          arbitrary: fc.constantFrom("%zz", "%", "..", ".%2e", "%2F", "a%00b", "%ff%fe", "", "*"),
        },
      )
      .map((value) => [name, value] as const);

  const inputFor = (route: RouteAccess) => {
    const names = [...route.url.matchAll(/:(\w+)|\*/g)].map((m) => m[1] ?? "*");
    // The route's own body shape most of the time, so its handler runs with plausible-but-hostile input.
    const own =
      route.url === "/actes" || route.url === "/suggestions/preview"
        ? shapedBodies[0]
        : route.url.startsWith("/validation")
          ? shapedBodies[1]
          : route.url === "/ccam/validate"
            ? shapedBodies[2]
            : undefined;
    const routeBody = own
      ? fc.oneof(
          {
            weight: 3,
            arbitrary: own.map((payload) => ({
              payload: payload as object,
              contentType: "application/json",
            })),
          },
          { weight: 2, arbitrary: body },
        )
      : body;
    return fc.record({
      params: fc.tuple(...names.map(pathValue)),
      query,
      body: routeBody,
      who: fc.oneof(
        { weight: 9, arbitrary: fc.constant("allowed" as const) },
        { weight: 1, arbitrary: fc.constantFrom(...ROLES) },
      ),
    });
  };

  const tokenFor = (route: RouteAccess, who: "allowed" | Role): string | undefined => {
    const access = route.access;
    if (access === "public") return undefined;
    const role = who === "allowed" ? ROLES.find((r) => access !== undefined && allows([r], access)) : who;
    return sessions.get(role ?? "admin")?.headers.authorization;
  };

  it(`answers ${TOTAL}+ hostile inputs across every route without a single 5xx`, async () => {
    const routes = app.routeAccess.filter(
      // /app/* serves the web build (503 while it is not built): not an API route.
      (r) =>
        r.method !== "OPTIONS" && r.method !== "HEAD" && !r.url.startsWith("/app") && r.url !== "/docs/*",
    );
    expect(routes.length).toBeGreaterThan(20);
    // Password grants cost an argon2 verification each: fewer of those, more of the cheap routes.
    const weight = (r: RouteAccess) => (r.url === "/auth/token" ? 0.3 : r.url.startsWith("/docs") ? 0.2 : 1);
    const totalWeight = routes.reduce((sum, r) => sum + weight(r), 0);
    const failures: string[] = [];
    for (const route of routes) {
      const runs = Math.ceil((TOTAL * weight(route)) / totalWeight);
      await fc
        .assert(
          fc.asyncProperty(inputFor(route), async ({ params, query: qs, body: b, who }) => {
            let url = route.url;
            for (const [name, value] of params) url = url.replace(name === "*" ? "*" : `:${name}`, value);
            const authorization = tokenFor(route, who);
            const target = `${url}${qs}`;
            const options: InjectOptions = {
              method: route.method as HTTPMethods,
              url: target,
              headers: {
                ...(authorization ? { authorization } : {}),
                ...(b.contentType && route.method !== "GET" ? { "content-type": b.contentType } : {}),
              },
              ...(b.payload !== undefined && route.method !== "GET" ? { payload: b.payload } : {}),
            };
            // A request that never answers (a deadlock) is a failure too, named with its input.
            let timer: NodeJS.Timeout | undefined;
            const response = await Promise.race([
              app.inject(options).finally(() => clearTimeout(timer)),
              new Promise<never>((_, reject) => {
                timer = setTimeout(
                  () =>
                    reject(
                      new Error(
                        `no answer within ${REQUEST_TIMEOUT_MS} ms: ${route.method} ${target.slice(0, 120)} ${JSON.stringify(options.payload)?.slice(0, 300)}`,
                      ),
                    ),
                  REQUEST_TIMEOUT_MS,
                );
              }),
            ]);
            inputs++;
            statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
            if (response.statusCode >= 500) {
              failures.push(
                `${route.method} ${target.slice(0, 120)} → ${response.statusCode} ${response.body.slice(0, 200)}`,
              );
              return false;
            }
            if (
              response.statusCode >= 400 &&
              !/^application\/problem\+json/.test(String(response.headers["content-type"]))
            ) {
              failures.push(
                `${route.method} ${target.slice(0, 120)} → ${response.statusCode} as ${response.headers["content-type"]}: ${response.body.slice(0, 120)}`,
              );
              return false;
            }
            return true;
          }),
          { numRuns: runs, seed: SEED, endOnFailure: true },
        )
        .catch((error: Error) =>
          failures.push(`${route.method} ${route.url}: ${error.message.slice(0, 300)}`),
        );
    }
    console.info(
      `fuzzing: ${inputs} inputs in ${Date.now() - startedAt} ms, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(failures).toEqual([]);
    expect(inputs).toBeGreaterThanOrEqual(10_000);
  });

  it("is still healthy, and every act's audit chain is whole (no partial decision)", async () => {
    expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    const codeur = sessions.get("codeur") as SignedIn;
    const auditeur = sessions.get("auditeur") as SignedIn;
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { statusCode: number; json(): { items: { id: string }[]; nextCursor: string | null } } =
        await app.inject({
          method: "GET",
          url: `/actes?limit=100${cursor ? `&cursor=${cursor}` : ""}`,
          headers: codeur.headers,
        });
      expect(page.statusCode).toBe(200);
      ids.push(...page.json().items.map((a: { id: string }) => a.id));
      cursor = page.json().nextCursor;
    } while (cursor);
    expect(ids.length).toBeGreaterThanOrEqual(actIds.length);
    for (const id of ids) {
      const verification = (
        await app.inject({ method: "GET", url: `/audit/${id}/verify`, headers: auditeur.headers })
      ).json();
      expect(verification.chain, id).toMatchObject({ ok: true });
      expect(verification.differences, id).toEqual([]);
    }
  });
});
