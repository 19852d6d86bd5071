import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

it("the committed ABI and bytecode are what the pinned solc produces from contracts/CCAMRegistry.sol", async () => {
  const script = fileURLToPath(new URL("../../scripts/build-contract.mjs", import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [script, "--check"], { timeout: 60_000 });
  expect(stdout).toContain("matches a fresh compilation (solc 0.8.30+");
});
