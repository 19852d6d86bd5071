import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderAt, signedIn, stubApi } from "../test/render";
import { ActEntryPage } from "./ActEntry";

const routes = [
  { path: "/actes/nouveau", element: <ActEntryPage /> },
  { path: "/actes/:id", element: <p>Page des suggestions</p> },
];

describe("ActEntryPage", () => {
  it("validates with the API's schema (French messages) and does not send an invalid act", async () => {
    signedIn();
    const calls = stubApi(() => undefined);
    renderAt("/actes/nouveau", routes);
    fireEvent.click(await screen.findByRole("button", { name: "Enregistrer et coder" }));
    expect(await screen.findByText(/Le texte clinique est vide/)).toBeTruthy();
    expect(screen.getByText(/Identifiant patient : lettres/)).toBeTruthy();
    expect(calls.some((c) => c.url === "/actes")).toBe(false);
  });

  it("tolerates a server without the preview route, then creates the act and opens its suggestions", async () => {
    signedIn();
    const calls = stubApi((call) =>
      call.url === "/actes" && call.method === "POST"
        ? {
            status: 201,
            body: {
              act: { id: "22222222-2222-4222-8222-222222222222", status: "pending" },
              suggestions: { engine: "offline", referentialVersion: "V81", latencyMs: 1, suggestions: [] },
            },
          }
        : undefined,
    );
    renderAt("/actes/nouveau", routes);
    fireEvent.change(await screen.findByLabelText(/Identifiant patient/), { target: { value: "IPP 123" } });
    fireEvent.change(screen.getByLabelText(/Texte clinique/), {
      target: { value: "Appendicectomie par coelioscopie sans complication." },
    });
    expect(await screen.findByText(/Aperçu indisponible/, {}, { timeout: 3000 })).toBeTruthy();
    expect(calls.find((c) => c.url === "/suggestions/preview")?.body).toMatchObject({
      text: "Appendicectomie par coelioscopie sans complication.",
    });
    fireEvent.click(screen.getByRole("button", { name: "Enregistrer et coder" }));
    await screen.findByText("Page des suggestions");
    const sent = calls.find((c) => c.url === "/actes" && c.method === "POST")?.body as Record<
      string,
      unknown
    >;
    expect(sent).toMatchObject({ patientId: "IPP 123", consent: true });
    await waitFor(() => expect(String(sent.performedAt)).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00.000Z$/));
  });
});
