import { DatabaseLockedError } from "@ccam/db";
import { ConfigError } from "./config.js";

/** Runs a process entry point: a configuration or lock problem prints its message alone, anything else its stack. */
export function runEntryPoint(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError || error instanceof DatabaseLockedError) console.error(error.message);
    else console.error(`${name} failed to start:`, error);
    process.exit(1);
  });
}
