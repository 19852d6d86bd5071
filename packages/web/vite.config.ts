import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** API paths the dev server (`npm run dev -w @ccam/web`) forwards to a server on :8080. */
const api = [
  "/auth",
  "/admin",
  "/ccam",
  "/actes",
  "/suggestions",
  "/validation",
  "/audit",
  "/patients",
  "/readyz",
];

export default defineConfig({
  // Served by the API server under /app/ (packages/server/src/routes/web.ts).
  base: "/app/",
  plugins: [react()],
  resolve: {
    alias: [
      // The API's zod schemas, reused by the forms (browser-safe re-exports only).
      { find: /^@ccam\/server\/schemas$/, replacement: here("../server/src/schemas.ts") },
      // The server schemas import CCAM schemas: the pure domain layer, not the package's Node entry.
      { find: /^@ccam\/ccam$/, replacement: here("./build/ccam-domain.ts") },
    ],
  },
  server: {
    proxy: Object.fromEntries(
      [...api, "/app/config.json"].map((path) => [path, { target: "http://127.0.0.1:8080" }]),
    ),
  },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2000, sourcemap: false },
});
