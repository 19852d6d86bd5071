import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { ImportJob, Me, ReferentialVersion } from "../api/types";
import { renderAt, signedIn, stubApi } from "../test/render";
import { AdminPage } from "./Admin";

const admin: Me = {
  id: "00000000-0000-4000-8000-000000000009",
  email: "admin@chu.test",
  roles: ["admin"],
  permissions: ["users:manage", "metrics:read", "referential:read", "referential:manage"],
};
const ID = "11111111-1111-4111-8111-111111111111";
const SHA = "ab".repeat(32);

const V78: ReferentialVersion = {
  version: "V78",
  number: 78,
  name: "CNAM - CCAM version 78 applicable 01/02/2025",
  effectiveDate: "2025-02-01",
  sourceSha256: SHA,
  sourceFile: "CCAM_V78_2025-02-01.csv",
  importedAt: "2026-12-01T10:00:00.000Z",
  stats: { acts: 8242, lines: 13_402, chapters: 1720, notes: 30_000, modifiers: 40, skipped: 1 },
};

function job(overrides: Partial<ImportJob>): ImportJob {
  return {
    id: ID,
    status: "running",
    fileName: "CCAM_V78_2025-02-01.csv",
    bytes: 2_540_272,
    startedAt: "2026-12-01T10:00:00.000Z",
    finishedAt: null,
    progress: { phase: "en attente", done: 0, total: 0 },
    ...overrides,
  };
}

async function openVersionsTab(file: File) {
  renderAt("/admin", [{ path: "/admin", element: <AdminPage /> }]);
  fireEvent.click(await screen.findByRole("tab", { name: "Versions CCAM" }));
  const section = await screen.findByTestId("ccam-import");
  const input = section.querySelector('input[type="file"]') as HTMLInputElement;
  await userEvent.upload(input, file);
  fireEvent.click(within(section).getByRole("button", { name: "Importer" }));
  return section;
}

describe("Admin › Versions CCAM › import", () => {
  it("uploads the file itself, shows the phases with a progress bar, then the summary and the new version", async () => {
    signedIn();
    let polls = 0;
    const states = [
      job({ progress: { phase: "lignes", done: 6000, total: 40_000 } }),
      job({
        status: "imported",
        finishedAt: "2026-12-01T10:00:05.000Z",
        progress: { phase: "terminé", done: 40_000, total: 40_000 },
        registration: "queued",
        summary: {
          status: "imported",
          version: "V78",
          effectiveDate: "2025-02-01",
          acts: 8242,
          lines: 13_402,
          chapters: 1720,
          notes: 30_000,
          sha256: SHA,
          skipped: 1,
          skippedRows: [{ line: 9, reason: "x" }],
          notEnriched: 0,
        },
      }),
    ];
    let imported = false;
    const calls = stubApi((call) => {
      if (call.url === "/ccam/versions") return { body: imported ? [V78] : [] };
      if (call.url === "/admin/users") return { body: [] };
      if (call.method === "POST" && call.url.startsWith("/ccam/imports?"))
        return { status: 202, body: job({}) };
      if (call.url === `/ccam/imports/${ID}`) {
        const state = states[Math.min(polls++, states.length - 1)];
        imported = state?.status === "imported";
        return { body: state };
      }
      return undefined;
    }, admin);
    const file = new File(["CNAM - CCAM version 78 applicable 01/02/2025\n"], "CCAM_V78_2025-02-01.csv", {
      type: "application/vnd.ms-excel",
    });
    const section = await openVersionsTab(file);

    // Accepted: waiting for its turn; then the tables being written, with the rows done of total.
    expect((await within(section).findByTestId("import-progress")).textContent).toContain("En attente");
    await waitFor(() =>
      expect(within(section).getByTestId("import-progress").textContent).toContain(
        "Écriture en base : lignes : 6",
      ),
    );
    const progress = within(section).getByTestId("import-progress");
    expect(progress.textContent).toContain("(15 %)");
    expect(within(progress).getByRole("progressbar").getAttribute("aria-valuenow")).toBe("15");

    const result = await within(section).findByTestId("import-result", {}, { timeout: 3000 });
    expect(result.textContent).toContain("Version V78 importée");
    expect(result.textContent).toContain("enregistrement sur la chaîne en file d'attente");
    // The versions list is refreshed once the import ends.
    const table = screen.getByRole("table", { name: "Versions CCAM" });
    await waitFor(() => expect(within(table).getByText("V78")).toBeTruthy());

    const upload = calls.find((c) => c.method === "POST");
    expect(upload?.url).toBe("/ccam/imports?filename=CCAM_V78_2025-02-01.csv");
    // The file itself, as text/csv (not the browser's "Excel" guess, not JSON).
    expect(upload?.body).toBe(file);
    expect(upload?.headers["content-type"]).toBe("text/csv");
  });

  it("shows the parser's error with its line when the file is refused", async () => {
    signedIn();
    stubApi((call) => {
      if (call.url === "/ccam/versions") return { body: [] };
      if (call.url === "/admin/users") return { body: [] };
      if (call.method === "POST") return { status: 202, body: job({}) };
      if (call.url === `/ccam/imports/${ID}`) {
        return {
          body: job({
            status: "failed",
            finishedAt: "2026-12-01T10:00:01.000Z",
            error: 'line 32: activity "9" of AHQB027 is not 1 to 5',
            errorLine: 32,
          }),
        };
      }
      return undefined;
    }, admin);
    const section = await openVersionsTab(new File(["x"], "ccam.xlsx"));
    const result = await within(section).findByTestId("import-result");
    expect(result.textContent).toContain("Import refusé");
    expect(result.textContent).toContain("Ligne 32 du fichier.");
    expect(result.textContent).toContain("rien n'a été écrit");
  });

  it("shows a refused upload (e.g. too large) as the API's problem", async () => {
    signedIn();
    stubApi((call) => {
      if (call.url === "/ccam/versions") return { body: [] };
      if (call.url === "/admin/users") return { body: [] };
      if (call.method === "POST") {
        return {
          status: 413,
          body: {
            type: "about:blank",
            title: "FST_ERR_CTP_BODY_TOO_LARGE",
            status: 413,
            detail: "too large",
          },
        };
      }
      return undefined;
    }, admin);
    const section = await openVersionsTab(new File(["x"], "ccam.csv"));
    expect((await within(section).findByText("Envoi refusé")).closest("[role=alert]")?.textContent).toContain(
      "too large",
    );
  });
});
