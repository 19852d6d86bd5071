import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ActView, SuggestionResult } from "../api/types";
import { renderAt, signedIn, stubApi } from "../test/render";
import { SuggestionsPage } from "./Suggestions";

const ID = "11111111-1111-4111-8111-111111111111";
const text = "Appendicectomie par coelioscopie chez une patiente de 24 ans.";
const act: ActView = {
  id: ID,
  pseudonym: `site.${"a".repeat(64)}`,
  performedAt: "2026-03-02T00:00:00.000Z",
  specialty: "Chirurgie viscérale et digestive",
  setting: null,
  consent: true,
  status: "pending",
  referentialVersion: "V81",
  createdBy: "u",
  createdAt: "2026-03-02T10:00:00.000Z",
  decidedBy: null,
  decidedAt: null,
  codes: [],
  text,
};
const suggestions: SuggestionResult = {
  engine: "offline",
  referentialVersion: "V81",
  latencyMs: 12,
  suggestions: [
    {
      code: "HHFA016",
      label: "Appendicectomie, par cœlioscopie ou par laparotomie avec préparation par cœlioscopie",
      confidence: 0.87,
      evidence: [
        { start: 0, end: 15, text: "Appendicectomie" },
        { start: 20, end: 32, text: "coelioscopie" },
      ],
      activity: 1,
      phase: 0,
      tariff: 224.69,
      findings: [],
      blocked: false,
    },
    {
      code: "HHFA011",
      label: "Appendicectomie, par abord de la fosse iliaque",
      confidence: 0.31,
      evidence: [{ start: 0, end: 15, text: "Appendicectomie" }],
      activity: 1,
      phase: 0,
      tariff: 199.01,
      findings: [
        { rule: "exclusion", severity: "blocking", message: "Incompatible avec HHFA016", reference: "note" },
        { rule: "age", severity: "warning", message: "Âge inhabituel", reference: "libellé" },
      ],
      blocked: true,
    },
  ],
};

function stub(extra: Parameters<typeof stubApi>[0] = () => undefined) {
  signedIn();
  return stubApi((call) => {
    const answer = extra(call);
    if (answer) return answer;
    if (call.url === `/actes/${ID}`) return { body: act };
    if (call.url === `/suggestions/${ID}`) return { body: suggestions };
    if (call.url.startsWith("/ccam/acts/"))
      return { status: 404, body: { title: "Acte inconnu", status: 404 } };
    return undefined;
  });
}

const routes = [{ path: "/actes/:id", element: <SuggestionsPage /> }];

describe("SuggestionsPage", () => {
  it("highlights each suggestion's evidence and shows confidence, tariff and findings", async () => {
    stub();
    renderAt(`/actes/${ID}`, routes);
    const cards = await screen.findAllByTestId("suggestion");
    expect(cards).toHaveLength(2);
    expect(within(cards[0] as HTMLElement).getByTestId("confidence").textContent).toBe("87 %");
    expect(within(cards[0] as HTMLElement).getByText("224,69 €")).toBeTruthy();
    const marks = screen.getByTestId("clinical-text").querySelectorAll("mark");
    expect([...marks].map((m) => [m.textContent, m.dataset.codes])).toEqual([
      ["Appendicectomie", "HHFA016, HHFA011"],
      ["coelioscopie", "HHFA016"],
    ]);
    const second = cards[1] as HTMLElement;
    expect(within(second).getByText("Bloqué par les règles")).toBeTruthy();
    expect(second.querySelector('[data-severity="blocking"]')?.textContent).toMatch(
      /Bloquant : Incompatible/,
    );
    expect(second.querySelector('[data-severity="warning"]')?.textContent).toMatch(/Avertissement/);
    expect(screen.getByText(/Moteur hors ligne/)).toBeTruthy();
  });

  it("accepts the first unblocked suggestion with Enter", async () => {
    const calls = stub((call) =>
      call.url === `/validation/${ID}`
        ? {
            body: {
              act: {
                ...act,
                status: "validated",
                codes: [
                  {
                    code: "HHFA016",
                    activity: 1,
                    phase: 0,
                    modifiers: [],
                    associationCode: null,
                    amount: 224.69,
                  },
                ],
              },
              validation: { valid: true, version: "V81", issues: [], lines: [], total: 224.69 },
            },
          }
        : undefined,
    );
    renderAt(`/actes/${ID}`, routes);
    await screen.findAllByTestId("suggestion");
    fireEvent.keyDown(document.documentElement, { key: "Enter" });
    await waitFor(() => expect(calls.some((c) => c.url === `/validation/${ID}`)).toBe(true));
    expect(calls.find((c) => c.url === `/validation/${ID}`)?.body).toEqual({
      codes: [{ code: "HHFA016", activity: 1, phase: 0, modifiers: [] }],
    });
    expect(await screen.findByText(/Décision — Validé/)).toBeTruthy();
  });

  it("shows the rule engine's blocking findings when validation is refused", async () => {
    stub((call) =>
      call.url === `/validation/${ID}`
        ? {
            status: 422,
            body: {
              title: "Règles CCAM non respectées",
              status: 422,
              validation: {
                issues: [{ rule: "r", severity: "blocking", message: "Code exclu", reference: "n" }],
              },
            },
          }
        : undefined,
    );
    renderAt(`/actes/${ID}`, routes);
    await screen.findAllByTestId("suggestion");
    fireEvent.click(screen.getByRole("button", { name: /^Accepter/ }));
    expect((await screen.findByText(/rien n'a été enregistré/)).closest("[role=alert]")?.textContent).toMatch(
      /Code exclu/,
    );
  });

  it("refuses an override without a justification, in French, before calling the API", async () => {
    const calls = stub();
    renderAt(`/actes/${ID}`, routes);
    await screen.findAllByTestId("suggestion");
    fireEvent.click(screen.getByRole("button", { name: "Corriger…" }));
    fireEvent.click(await screen.findByRole("button", { name: "Enregistrer la correction" }));
    expect(await screen.findByText(/Justification obligatoire/)).toBeTruthy();
    expect(calls.some((c) => c.url.includes("/override"))).toBe(false);
  });
});
