import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { sendProblem } from "../problem.js";

/** Where the single-page application lives; every other path belongs to the API (unknown ones answer 404). */
export const WEB_PREFIX = "/app/";

/** packages/web/dist, from src/routes (tests) and dist/routes (production) alike. */
const DEFAULT_ROOT = fileURLToPath(new URL("../../../web/dist/", import.meta.url));

/**
 * The page's policy: scripts from us only; inline styles are needed by the component library's CSS variables
 * and the charts. The API keeps helmet's `default-src 'none'`.
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export interface WebRoutesOptions {
  /** The built application (`npm run build -w @ccam/web`); default packages/web/dist. */
  root?: string;
  /** Whether OpenID Connect sign-in is configured: the login page shows its button. */
  oidc: boolean;
}

function listFiles(root: string): Set<string> {
  const files = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.add(relative(root, path).split(sep).join("/"));
    }
  };
  walk(root);
  return files;
}

/**
 * Serves the web application: `/` redirects to `/app/`, files of the build are served as they are (hashed assets
 * cached for a year), any other `/app/…` path answers index.html so the client router takes over on reload.
 */
export const webRoutes: FastifyPluginAsync<WebRoutesOptions> = async (app, { root = DEFAULT_ROOT, oidc }) => {
  const built = existsSync(join(root, "index.html"));
  const files = built ? listFiles(root) : new Set<string>();
  if (built) await app.register(fastifyStatic, { root, serve: false });
  else app.log.warn({ root }, "web application not built: run `npm run build` to serve it at /");

  const hidden = { schema: { hide: true } };
  const toApp = async (_request: unknown, reply: FastifyReply) => reply.redirect(WEB_PREFIX, 302);
  app.get("/", hidden, toApp);
  app.get(WEB_PREFIX.slice(0, -1), hidden, toApp);

  app.get(`${WEB_PREFIX}config.json`, hidden, async (_request, reply) =>
    reply.header("cache-control", "no-store").send({ oidc }),
  );

  app.get<{ Params: { "*": string } }>(`${WEB_PREFIX}*`, hidden, async (request, reply) => {
    if (!built) {
      return sendProblem(reply, {
        status: 503,
        title: "Application web non construite",
        detail: "Run `npm run build` (builds packages/web) and restart.",
      });
    }
    const path = request.params["*"];
    if (files.has(path) && path !== "index.html") {
      const immutable = path.startsWith("assets/");
      return reply.sendFile(path, { maxAge: immutable ? "365d" : 0, immutable, cacheControl: true });
    }
    // A missing file (an old asset, a typo) is a 404, not the page: only extension-less paths are client routes.
    if (/\.[a-z0-9]+$/i.test(path)) {
      return sendProblem(reply, { status: 404, title: "Not Found", detail: `No file ${request.url}` });
    }
    return reply
      .header("content-security-policy", WEB_CSP)
      .header("cache-control", "no-cache")
      .sendFile("index.html", { cacheControl: false });
  });
};
