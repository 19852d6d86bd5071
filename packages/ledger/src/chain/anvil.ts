import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { basename, dirname, join } from "node:path";

/** The first account of anvil's default test mnemonic: public knowledge, for the local embedded chain only. */
export const ANVIL_DEV_PRIVATE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/** The EVM fork of the embedded chain; must match the contract's evmVersion (scripts/build-contract.mjs). */
export const EMBEDDED_HARDFORK = "cancun";

export interface EmbeddedNodeOptions {
  /** Folder of the chain state (`anvil-state.json`); omit for a throw-away in-memory chain. */
  stateDir?: string | undefined;
  /** Loopback port; a free one is picked when omitted. Reuse it across restarts so clients keep working. */
  port?: number | undefined;
  /** Seconds between blocks; 0 mines one block per transaction (tests). */
  blockTime?: number | undefined;
  startTimeoutMs?: number | undefined;
}

/** The anvil binary shipped by the platform package of @foundry-rs/anvil (never downloaded). */
export function anvilBinary(): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const platformPackage = `@foundry-rs/anvil-${process.platform}-${arch}`;
  const require = createRequire(import.meta.url);
  const manifest = require.resolve(`${platformPackage}/package.json`);
  return join(dirname(manifest), "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * A real EVM node (Foundry anvil) owned by this process, listening on 127.0.0.1 only. Its state is dumped to
 * `stateDir` every second and on a clean stop; the dump is not crash-safe (kill -9 loses the blocks since the
 * last dump, a torn write loses the file), which the anchoring worker repairs by re-anchoring from the database.
 */
export class EmbeddedNode {
  private exited: Promise<void>;

  private constructor(
    private child: ChildProcess,
    readonly port: number,
    private readonly options: EmbeddedNodeOptions,
  ) {
    this.exited = waitForExit(child);
  }

  get rpcUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get stateFile(): string | undefined {
    return this.options.stateDir ? join(this.options.stateDir, "anvil-state.json") : undefined;
  }

  static async start(options: EmbeddedNodeOptions = {}): Promise<EmbeddedNode> {
    const port = options.port ?? (await freePort());
    const stateFile = options.stateDir ? join(options.stateDir, "anvil-state.json") : undefined;
    if (stateFile) {
      mkdirSync(dirname(stateFile), { recursive: true });
      await stopOrphan(stateFile);
      quarantineUnreadableState(stateFile);
    }
    const child = spawnAnvil(port, stateFile, options.blockTime ?? 1);
    const node = new EmbeddedNode(child, port, { ...options, port });
    await node.waitReady(options.startTimeoutMs ?? 20_000);
    return node;
  }

  /** Stops the node cleanly (SIGTERM makes anvil dump its state), SIGKILL if it does not exit in time. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Simulates a crash: SIGKILL, no final state dump. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }

  /** Starts a stopped node again on the same port and state file. */
  async restart(): Promise<void> {
    await this.stop();
    const stateFile = this.stateFile;
    if (stateFile) quarantineUnreadableState(stateFile);
    this.child = spawnAnvil(this.port, stateFile, this.options.blockTime ?? 1);
    this.exited = waitForExit(this.child);
    await this.waitReady(this.options.startTimeoutMs ?? 20_000);
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let stderr = "";
    this.child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(
          `anvil exited during start (${this.child.exitCode ?? this.child.signalCode}): ${stderr}`,
        );
      }
      try {
        const response = await fetch(this.rpcUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
          signal: AbortSignal.timeout(1000),
        });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    this.child.kill("SIGKILL");
    throw new Error(`anvil did not answer on ${this.rpcUrl} within ${timeoutMs} ms: ${stderr}`);
  }
}

function spawnAnvil(port: number, stateFile: string | undefined, blockTime: number): ChildProcess {
  const args = ["--host", "127.0.0.1", "--port", String(port), "--hardfork", EMBEDDED_HARDFORK, "--quiet"];
  if (blockTime > 0) args.push("--block-time", String(blockTime));
  if (stateFile) args.push("--state", stateFile, "--state-interval", "1");
  const child = spawn(anvilBinary(), args, { stdio: ["ignore", "ignore", "pipe"] });
  if (stateFile && child.pid) writeFileSync(`${stateFile}.pid`, String(child.pid));
  return child;
}

/**
 * An app killed with -9 leaves its anvil running, still dumping into the state file: stop it (SIGTERM, so it
 * writes its state) before a new node loads that file. Only a process whose command line is anvil with this
 * very state file is signalled, so a recycled pid is never hit.
 */
async function stopOrphan(stateFile: string): Promise<void> {
  const pidFile = `${stateFile}.pid`;
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, "utf8"), 10);
  const isOurAnvil = () => {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      return basename(cmdline[0] ?? "").startsWith("anvil") && cmdline.includes(stateFile);
    } catch {
      return false; // gone, or no /proc (then we cannot tell: leave it alone)
    }
  };
  if (!Number.isInteger(pid) || !isOurAnvil()) return;
  process.kill(pid, "SIGTERM");
  for (let waited = 0; isOurAnvil() && waited < 10_000; waited += 100)
    await new Promise((r) => setTimeout(r, 100));
}

function waitForExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

/**
 * A state file torn by a crash mid-write would stop anvil from starting: move it aside and start from an empty
 * chain; the worker then redeploys and re-anchors every tree head from the database.
 */
function quarantineUnreadableState(stateFile: string): void {
  if (!existsSync(stateFile)) return;
  try {
    JSON.parse(readFileSync(stateFile, "utf8"));
  } catch {
    renameSync(stateFile, `${stateFile}.corrupt-${Date.now()}`);
  }
}
