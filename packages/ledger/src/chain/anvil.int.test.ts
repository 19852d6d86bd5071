import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { EmbeddedNode } from "./anvil.js";
import { connectChain } from "./registry.js";

const dir = mkdtempSync(join(tmpdir(), "ccam-anvil-"));
let node: EmbeddedNode | undefined;

afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("starts on a torn state file by moving it aside, and restarts on the same port with its state", async () => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "anvil-state.json"), '{"block": {"number": "0x1', "utf8");
  node = await EmbeddedNode.start({ stateDir: dir, blockTime: 0 });
  expect(readdirSync(dir).some((f) => f.startsWith("anvil-state.json.corrupt-"))).toBe(true);
  expect(node.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const { client } = await connectChain({ rpcUrl: node.rpcUrl });
  await client.request({ method: "evm_mine" } as never);
  expect(await client.getBlockNumber()).toBe(1n);

  const port = node.port;
  await node.restart();
  expect(node.port).toBe(port);
  expect(await client.getBlockNumber()).toBe(1n);
  await node.stop();
  expect(node.alive).toBe(false);
  await node.stop();
});

it("stops the anvil a crashed app left running on the same state file before starting a new one", async () => {
  const stateDir = join(dir, "orphan");
  const orphan = await EmbeddedNode.start({ stateDir, blockTime: 0 });
  const successor = await EmbeddedNode.start({ stateDir, blockTime: 0 });
  try {
    await expect.poll(() => orphan.alive, { timeout: 10_000 }).toBe(false);
    expect(successor.alive).toBe(true);
    expect(successor.port).not.toBe(orphan.port);
  } finally {
    await successor.stop();
    await orphan.stop();
  }
});
