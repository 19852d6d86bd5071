import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

// Tests run on TypeScript sources: map each workspace package to its src entry so no build is needed.
const alias = [
  { find: /^@ccam\/([a-z-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
  { find: /^@ccam\/([a-z-]+)\/(.+)$/, replacement: `${root}packages/$1/src/$2.ts` },
];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "packages/*/src/**/*.test.tsx"],
          // Some unit tests open an in-memory PGlite (a WASM Postgres start, ~1 s idle, several under load).
          testTimeout: 30_000,
          exclude: [
            "**/*.int.test.ts",
            "**/*.e2e.test.ts",
            "**/*.faults.test.ts",
            "**/node_modules/**",
            "**/dist/**",
            "packages/web/**",
          ],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["packages/*/src/**/*.int.test.ts"],
          exclude: ["**/*.faults.test.ts", "**/node_modules/**", "**/dist/**"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          pool: "forks",
        },
      },
      {
        // Fault injection (crash, chain/database/LLM outages, tampering, fuzzing): `npm run test:faults`.
        // Real servers on loopback; every scenario is bounded in time. Files run one after the other: some
        // start the built server as child processes and time their recovery.
        extends: true,
        test: {
          name: "faults",
          include: ["packages/*/src/**/*.faults.test.ts"],
          exclude: ["**/node_modules/**", "**/dist/**"],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          pool: "forks",
          fileParallelism: false,
        },
      },
      // The web app's component tests (jsdom, its own Vite config and aliases): part of `npm test`.
      "packages/web/vitest.config.ts",
      {
        // End to end: the built server on loopback with a fresh data folder, driven by the system Chromium
        // (playwright-core, /usr/bin/chromium): `npm run test:browser`.
        extends: true,
        test: {
          name: "browser",
          include: ["packages/web/e2e/**/*.e2e.test.ts"],
          testTimeout: 240_000,
          hookTimeout: 300_000,
          pool: "forks",
          fileParallelism: false,
        },
      },
    ],
  },
});
