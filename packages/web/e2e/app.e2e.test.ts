/**
 * End to end: the built server (packages/server/dist/bundle/main.js) on a free loopback port with a fresh data folder and
 * only the V81 export at start (V78 is imported through the admin page), the built web app it serves, and the system
 * Chromium driven by playwright-core (never a downloaded browser). Run with `npm run test:browser` (builds first). Screenshots of each page go to
 * docs/screenshots/. Without /usr/bin/chromium the suite is skipped with a message, except under CI=true.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CHROMIUM = process.env.CCAM_CHROMIUM ?? "/usr/bin/chromium";
const repo = fileURLToPath(new URL("../../../", import.meta.url));
const shots = join(repo, "docs/screenshots");
const sharedDir = resolve(repo, process.env.CCAM_SHARED_DIR ?? "../shared");
const [V78, V81] = ["CCAM_V78_2025-02-01.csv", "CCAM_V81_2026-01-01.csv"].map((f) =>
  join(sharedDir, "ccam/ameli", f),
) as [string, string];
/** Imported at start; V78 is uploaded from the admin page. */
const exports = [V81];
const ADMIN = { email: "admin@chu-exemple.fr", password: "admin-mot-de-passe-e2e" };
const CODER = { email: "c.martin@chu-exemple.fr", password: "codeur-mot-de-passe-e2e" };

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  const message = `${CHROMIUM} not found: browser tests skipped (Debian: apt-get install chromium).`;
  if (process.env.CI === "true") throw new Error(`${message} CI requires it.`);
  console.warn(`\n*** ${message} ***\n`);
}

const freePort = () =>
  new Promise<number>((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => done(typeof address === "object" && address ? address.port : 0));
    });
  });

describe.skipIf(!hasChromium)("web application, end to end", () => {
  let server: ChildProcess;
  let base: string;
  let work: string;
  let browser: Browser;
  let page: Page;
  let log = "";
  const acts: string[] = [];

  const shot = async (name: string) => {
    await page.waitForTimeout(300);
    // Toasts of earlier steps would hide the header.
    await page.addStyleTag({ content: ".mantine-Notifications-root { display: none !important; }" });
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
  };
  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const response = await fetch(`${base}${path}`, init);
    if (!response.ok)
      throw new Error(`${init.method ?? "GET"} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const signIn = async (user: { email: string; password: string }) => {
    await page.goto(`${base}/app/connexion`);
    await page.getByLabel("Identifiant (adresse e-mail)").fill(user.email);
    await page.getByLabel("Mot de passe").fill(user.password);
    await page.getByLabel("Mot de passe").press("Enter");
    await page.getByRole("navigation", { name: "Navigation principale" }).waitFor();
  };
  /** A global shortcut, once the app shell is there to handle it. */
  const press = async (key: string) => {
    await page.getByRole("navigation", { name: "Navigation principale" }).waitFor();
    // Shortcuts are ignored while typing in a field (as they should be).
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press(key);
  };
  const stat = async (label: string) => (await page.getByTestId(`stat-${label}`).textContent())?.trim();

  beforeAll(async () => {
    for (const file of ["packages/server/dist/bundle/main.js", "packages/web/dist/index.html"]) {
      if (!existsSync(join(repo, file))) throw new Error(`${file} missing: run \`npm run build\` first.`);
    }
    for (const file of [V78, V81])
      if (!existsSync(file)) throw new Error(`${file} missing (CCAM_SHARED_DIR)`);
    work = mkdtempSync(join(tmpdir(), "ccam-e2e-"));
    const source = join(work, "ameli");
    mkdirSync(source);
    for (const file of exports) symlinkSync(file, join(source, basename(file)));
    mkdirSync(shots, { recursive: true });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, [join(repo, "packages/server/dist/bundle/main.js")], {
      cwd: work,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        HOST: "127.0.0.1",
        CCAM_DATA_DIR: join(work, "data"),
        CCAM_SHARED_DIR: sharedDir,
        CCAM_SOURCE_DIR: source,
        CCAM_ADMIN_EMAIL: ADMIN.email,
        CCAM_ADMIN_PASSWORD: ADMIN.password,
        CCAM_LOG_LEVEL: "warn",
        CCAM_AUTH_RATE_LIMIT: "1000",
        CCAM_LEDGER_BATCH_MAX_DELAY_MS: "500",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server.stdout?.on("data", (chunk) => {
      log += chunk;
    });
    server.stderr?.on("data", (chunk) => {
      log += chunk;
    });
    const deadline = Date.now() + 240_000;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`server exited ${server.exitCode}:\n${log}`);
      const ready = await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`server not ready in 240 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const { access_token } = await api<{ access_token: string }>("/auth/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "password", username: ADMIN.email, password: ADMIN.password }),
    });
    await api("/admin/users", {
      method: "POST",
      headers: { authorization: `Bearer ${access_token}`, "content-type": "application/json" },
      body: JSON.stringify({ ...CODER, roles: ["codeur", "superviseur_dim"], site: "CHU" }),
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      env: { ...process.env, LANG: "fr_FR.UTF-8", LANGUAGE: "fr" },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--lang=fr-FR",
      ],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: "fr-FR" });
    page.on("pageerror", (error) => {
      log += `\n[page error] ${error.message}`;
    });
  });

  afterAll(async () => {
    await browser?.close();
    server?.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1000));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("serves the app at / and keeps API paths and /docs working", async () => {
    const root = await fetch(`${base}/`, { redirect: "manual" });
    expect(root.status).toBe(302);
    expect((await fetch(`${base}/app/actes`)).headers.get("content-type")).toMatch(/text\/html/);
    expect((await fetch(`${base}/actes`)).status).toBe(401);
    expect((await fetch(`${base}/docs/json`)).status).toBe(200);
    const unknown = await fetch(`${base}/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toMatch(/problem\+json/);
  });

  it("signs in (a wrong password first: the lockout is explained)", async () => {
    await page.goto(`${base}/`);
    await page.getByLabel("Identifiant (adresse e-mail)").waitFor();
    await page.getByLabel("Identifiant (adresse e-mail)").fill(CODER.email);
    await page.getByLabel("Mot de passe").fill("pas-le-bon-mot-de-passe");
    await page.getByRole("button", { name: "Se connecter" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/verrouillé 15 minutes/);
    await shot("01-connexion");
    await signIn(CODER);
  });

  it("shows the dashboard before any act", async () => {
    await page.goto(`${base}/app/`);
    await expect.poll(() => stat("Actes (30 j)"), { timeout: 20_000 }).toBe("0");
  });

  const enterAct = async (patientId: string, text: string, specialty: string) => {
    await press("s");
    await page.getByLabel("Identifiant patient (IPP)").waitFor();
    await page.getByLabel("Identifiant patient (IPP)").fill(patientId);
    await page.getByLabel("Spécialité").first().fill(specialty);
    await page.getByLabel(/Texte clinique/).fill(text);
    await page.getByLabel(/Texte clinique/).press("Control+Enter");
    await page.waitForURL(/\/app\/actes\/[0-9a-f-]{36}$/);
    await page.getByTestId("suggestion").first().waitFor();
    acts.push(page.url().split("/").at(-1) as string);
  };

  it("enters an act with the keyboard and accepts its first suggestion with Enter", async () => {
    await page.goto(`${base}/app/`);
    await press("s");
    await page.getByLabel("Identifiant patient (IPP)").fill("IPP-2026-0001");
    await page.getByLabel("Spécialité").first().fill("Chirurgie viscérale et digestive");
    await page
      .getByLabel(/Texte clinique/)
      .fill(
        "Compte rendu opératoire : appendicectomie par cœlioscopie pour appendicite aiguë. Trois trocarts, " +
          "section du méso-appendice, ligature de la base. Suites simples.",
      );
    // Typing-time suggestions, when the server offers POST /suggestions/preview.
    await page.waitForTimeout(1500);
    await shot("02-saisie");
    await page.getByLabel(/Texte clinique/).press("Control+Enter");
    await page.waitForURL(/\/app\/actes\/[0-9a-f-]{36}$/);
    acts.push(page.url().split("/").at(-1) as string);
    await page.getByTestId("suggestion").first().waitFor();
    expect(await page.locator("mark.evidence").count()).toBeGreaterThan(0);
    await shot("03-suggestions");
    await page.locator("body").click({ position: { x: 5, y: 300 } });
    await page.keyboard.press("Enter");
    await page.getByText(/Décision — Validé/).waitFor({ timeout: 30_000 });
  });

  it("overrides another act with a code found by search and a justification", async () => {
    await enterAct(
      "IPP-2026-0002",
      "Appendicectomie par laparotomie (incision de Mac Burney) après conversion, cœlioscopie impossible.",
      "Chirurgie viscérale et digestive",
    );
    await page.locator("body").click({ position: { x: 5, y: 300 } });
    await page.keyboard.press("c");
    const code = page.getByRole("dialog").getByLabel("Code 1");
    await code.waitFor();
    await code.fill("appendicectomie laparotomie");
    await page.getByRole("option", { name: /HHFA011/ }).click();
    await page
      .getByRole("dialog")
      .getByLabel(/Justification/)
      .fill("Conversion en laparotomie : l'abord cœlioscopique a été abandonné, voie d'abord ouverte seule.");
    await shot("04-correction");
    await page.getByRole("button", { name: "Enregistrer la correction" }).click();
    await page.getByText(/Décision — Corrigé/).waitFor({ timeout: 30_000 });
    expect(await page.getByRole("cell", { name: "HHFA011" }).count()).toBeGreaterThan(0);
  });

  it("lists both acts in the worklist, filters them, and opens the next pending one with n", async () => {
    await press("l");
    await page.getByTestId("act-row").nth(1).waitFor();
    expect(await page.getByTestId("act-row").count()).toBe(2);
    await shot("05-actes");
    await page.getByText("Corrigé", { exact: true }).first().click();
    await expect.poll(() => page.getByTestId("act-row").count()).toBe(1);
    await press("n");
    await page.getByText("Aucun acte en attente").waitFor();
  });

  for (const [index, kind] of [
    [0, "act.validated"],
    [1, "act.overridden"],
  ] as const) {
    it(`shows the ${kind} act in the audit view, anchored, and verifies it`, async () => {
      await page.goto(`${base}/app/actes/${acts[index]}/audit`);
      await page.locator(`[data-kind="${kind}"]`).waitFor();
      await expect
        .poll(async () => page.getByTestId("anchoring-status").textContent(), {
          timeout: 60_000,
          intervals: [1000],
        })
        .toMatch(/^(\d+)\/\1 événements ancrés$/);
      await page.getByRole("button", { name: "Vérifier" }).click();
      const result = page.getByTestId("verification");
      await result.waitFor({ timeout: 30_000 });
      expect(await result.getAttribute("data-verified")).toBe("true");
      expect(await page.getByTestId("proof").textContent()).toMatch(/Transaction0x/);
      if (index === 1) await shot("06-audit");
      const download = page.waitForEvent("download");
      await page.getByRole("button", { name: "Exporter le dossier (PDF)" }).click();
      expect((await download).suggestedFilename()).toBe(`justification-${acts[index]}.pdf`);
    });
  }

  it("moves the dashboard: two acts, one validated, one overridden", async () => {
    await press("d");
    await expect.poll(() => stat("Actes (30 j)"), { timeout: 30_000 }).toBe("2");
    expect(await stat("Corrections")).toBe("50 %");
    expect(await stat("Acceptation")).toBe("50 %");
    await shot("07-tableau-de-bord");
  });

  it("shows users, imports a CCAM version with progress, diffs it, for the administrator", async () => {
    await page.getByRole("button", { name: "Se déconnecter" }).click();
    await signIn(ADMIN);
    await press("g");
    await page.getByTestId("user-row").nth(1).waitFor();
    await shot("08-admin-utilisateurs");
    await page.getByRole("tab", { name: "Versions CCAM" }).click();
    await page.getByRole("cell", { name: "V81" }).waitFor();
    // Import V78 from the page: the file itself is uploaded, its progress followed, the list refreshed.
    const importer = page.getByTestId("ccam-import");
    await importer.locator('input[type="file"]').setInputFiles(V78);
    await importer.getByRole("button", { name: "Importer", exact: true }).click();
    await importer.getByTestId("import-progress").waitFor({ timeout: 10_000 });
    const result = importer.getByTestId("import-result");
    await result.waitFor({ timeout: 120_000 });
    expect(await result.textContent()).toContain("Version V78 importée");
    await page.getByRole("cell", { name: "V78", exact: true }).waitFor();
    await page.getByTestId("diff-from").click();
    await page.getByRole("option", { name: /^V78/ }).click();
    await page.getByTestId("diff-to").click();
    await page.getByRole("option", { name: /^V81/ }).click();
    await page.getByTestId("diff").waitFor({ timeout: 30_000 });
    await shot("09-admin-versions");
  });

  afterAll(() => {
    if (log.includes("[page error]")) console.warn(log);
  });
});
