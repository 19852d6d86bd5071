/**
 * The only way the app talks to the server: the documented HTTP API, a bearer token, problem+json errors.
 * The session (access + refresh token) lives in sessionStorage: closing the tab signs out.
 */
import type { TokenResponse } from "@ccam/server/schemas";

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { field: string; message: string }[];
  [extension: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ? `${problem.title} : ${problem.detail}` : problem.title);
    this.name = "ApiError";
  }
}

/** POST /auth/token, /auth/refresh (identity/schemas.ts TokenResponseSchema). */
export type Tokens = TokenResponse;

const STORAGE_KEY = "ccam.session";
type Listener = (tokens: Tokens | null) => void;
const listeners = new Set<Listener>();

export const session = {
  get(): Tokens | null {
    const raw = globalThis.sessionStorage?.getItem(STORAGE_KEY);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as Tokens;
    } catch {
      return null;
    }
  },
  set(tokens: Tokens | null): void {
    if (tokens) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
    else sessionStorage.removeItem(STORAGE_KEY);
    for (const listener of listeners) listener(tokens);
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

export interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "DELETE";
  /** JSON body. */
  json?: unknown;
  /** application/x-www-form-urlencoded body (the OAuth2 token endpoint). */
  form?: Record<string, string>;
  /** A raw body sent as is with its media type (a file upload: POST /ccam/imports). */
  raw?: { body: Blob; type: string };
  query?: Record<string, string | number | undefined | null>;
  signal?: AbortSignal;
  /** Send the bearer token (default true). */
  auth?: boolean;
  /** Answer the parsed body of these non-2xx statuses instead of throwing (e.g. /readyz's 503). */
  accept?: number[];
}

async function parse(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const type = response.headers.get("content-type") ?? "";
  if (type.includes("json")) return response.json();
  const text = await response.text();
  return text.length ? text : undefined;
}

function toProblem(status: number, body: unknown, statusText: string): Problem {
  if (body && typeof body === "object" && "title" in body) return body as Problem;
  return { title: statusText || `Erreur ${status}`, status };
}

let refreshing: Promise<boolean> | null = null;

/** One refresh at a time: concurrent 401s wait for the same rotation (a reused refresh token is revoked). */
function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const tokens = session.get();
    if (!tokens) return false;
    const response = await fetch("/auth/refresh", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: tokens.refresh_token }),
    });
    if (!response.ok) {
      session.set(null);
      return false;
    }
    session.set((await response.json()) as Tokens);
    return true;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { method = "GET", json, form, raw, query, signal, auth = true, accept = [] } = options;
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const url = search.size ? `${path}?${search}` : path;
  const send = () => {
    const headers: Record<string, string> = { accept: "application/json, application/problem+json" };
    const token = auth ? session.get()?.access_token : undefined;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | Blob | undefined;
    if (raw) {
      headers["content-type"] = raw.type;
      body = raw.body;
    } else if (form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(form).toString();
    } else if (json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(json);
    }
    return fetch(url, { method, headers, body, signal });
  };
  let response = await send();
  if (response.status === 401 && auth && session.get() && (await refreshSession())) {
    response = await send();
  }
  const body = await parse(response);
  if (response.ok || accept.includes(response.status)) return body as T;
  if (response.status === 401 && auth) session.set(null);
  throw new ApiError(response.status, toProblem(response.status, body, response.statusText));
}

/** A French sentence for an error, for notifications and alerts. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return `Accès refusé : ${error.problem.title}`;
    if (error.status === 0 || error.status >= 500)
      return `Erreur du serveur (${error.status}) : ${error.problem.title}`;
    const fields = error.problem.errors?.map((e) => `${e.field} : ${e.message}`).join(" ; ");
    return [error.problem.title, error.problem.detail, fields].filter(Boolean).join(" — ");
  }
  if (error instanceof TypeError) return "Serveur injoignable : vérifiez la connexion.";
  return error instanceof Error ? error.message : String(error);
}
