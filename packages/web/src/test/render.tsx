import { permissionsOf } from "@ccam/server/schemas";
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import { vi } from "vitest";
import { session } from "../api/client";
import type { Me } from "../api/types";
import { createQueryClient, Providers } from "../providers";

export interface Call {
  method: string;
  url: string;
  /** JSON bodies parsed; other bodies (a File, a Blob) as sent. */
  body: unknown;
  headers: Record<string, string>;
}

type Handler = (call: Call) => { status?: number; body?: unknown } | undefined;

export const codeur: Me = {
  id: "00000000-0000-4000-8000-000000000001",
  email: "codeur@chu.test",
  roles: ["codeur", "superviseur_dim"],
  permissions: [...permissionsOf(["codeur", "superviseur_dim"])],
};

/** Stubs fetch with `handler` (GET /auth/me answered with `me` unless handled); records every call. */
export function stubApi(handler: Handler, me: Me | null = codeur): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const raw = typeof init.body === "string" ? init.body : undefined;
      let body: unknown = raw ?? init.body;
      try {
        body = raw ? JSON.parse(raw) : body;
      } catch {
        body = raw;
      }
      const headers = { ...(init.headers as Record<string, string> | undefined) };
      const call = { method: init.method ?? "GET", url: input, body, headers };
      calls.push(call);
      const answer =
        handler(call) ??
        (call.url === "/auth/me" && me ? { body: me } : undefined) ??
        (call.url === "/readyz"
          ? { body: { status: "ready", checks: { database: { ok: true }, referential: { ok: true } } } }
          : { status: 404, body: { type: "about:blank", title: "Not Found", status: 404 } });
      const status = answer.status ?? 200;
      return new Response(status === 204 ? null : JSON.stringify(answer.body ?? {}), {
        status,
        headers: { "content-type": status >= 400 ? "application/problem+json" : "application/json" },
      });
    }),
  );
  return calls;
}

export function signedIn(): void {
  session.set({
    access_token: "test-access",
    refresh_token: "test-refresh-token-000000",
    expires_in: 900,
    token_type: "Bearer",
  });
}

export function renderAt(path: string, routes: { path: string; element: ReactNode }[]) {
  const client = createQueryClient();
  client.setDefaultOptions({ queries: { retry: false, staleTime: Number.POSITIVE_INFINITY } });
  return render(
    <MemoryRouter initialEntries={[path]}>
      <Providers client={client}>
        <Routes>
          {routes.map((r) => (
            <Route key={r.path} path={r.path} element={r.element} />
          ))}
        </Routes>
      </Providers>
    </MemoryRouter>,
  );
}
