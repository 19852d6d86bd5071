import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderAt, signedIn, stubApi } from "../test/render";
import { WorklistPage } from "./Worklist";

describe("WorklistPage", () => {
  it("filters by status through the API's query string", async () => {
    signedIn();
    const calls = stubApi((call) =>
      call.url.startsWith("/actes?") ? { body: { items: [], nextCursor: null } } : undefined,
    );
    renderAt("/actes", [{ path: "/actes", element: <WorklistPage /> }]);
    expect(await screen.findByText("Aucun acte ne correspond aux filtres.")).toBeTruthy();
    fireEvent.click(screen.getByText("En attente"));
    await waitFor(() => expect(calls.some((c) => c.url.includes("status=pending"))).toBe(true));
  });
});
