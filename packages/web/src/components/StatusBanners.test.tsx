import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderAt, signedIn, stubApi } from "../test/render";
import { StatusBanners } from "./StatusBanners";

const readiness = (llm: { ok: boolean; state: "off" | "ok" | "degraded"; detail: string }) => ({
  status: llm.ok ? "ready" : "degraded",
  checks: { database: { ok: true }, referential: { ok: true, detail: "loaded: V81" }, llm },
});

describe("StatusBanners", () => {
  it("shows a degraded LLM to a coder from /readyz (no metrics permission needed)", async () => {
    signedIn();
    const calls = stubApi((call) =>
      call.url === "/readyz"
        ? { body: readiness({ ok: false, state: "degraded", detail: "timeout after 800 ms" }) }
        : undefined,
    );
    renderAt("/", [{ path: "/", element: <StatusBanners /> }]);
    const banner = await screen.findByTestId("degraded");
    expect(banner.textContent).toContain("LLM dégradé");
    expect(banner.textContent).toContain("timeout after 800 ms");
    expect(calls.some((c) => c.url === "/admin/metrics")).toBe(false);
  });

  it("shows the offline engine when no LLM is configured, and nothing when it answers", async () => {
    signedIn();
    stubApi((call) =>
      call.url === "/readyz"
        ? { body: readiness({ ok: true, state: "off", detail: "offline engine only" }) }
        : undefined,
    );
    const { unmount } = renderAt("/", [{ path: "/", element: <StatusBanners /> }]);
    expect((await screen.findByTestId("degraded")).textContent).toContain(
      "LLM désactivé : moteur hors ligne",
    );
    unmount();

    // An answering LLM has no banner (the chain's, down here, shows that the readiness was read).
    const answering = readiness({ ok: true, state: "ok", detail: "answering" });
    stubApi((call) =>
      call.url === "/readyz"
        ? {
            body: {
              ...answering,
              checks: { ...answering.checks, chain: { ok: false, detail: "rpc unreachable" } },
            },
          }
        : undefined,
    );
    renderAt("/", [{ path: "/", element: <StatusBanners /> }]);
    const banners = await screen.findAllByTestId("degraded");
    expect(banners.map((b) => b.textContent)).toEqual([expect.stringContaining("Chaîne indisponible")]);
  });
});
