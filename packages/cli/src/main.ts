import { DatabaseLockedError } from "@ccam/db";
import { ConfigError } from "@ccam/server";
import { Command, CommanderError } from "commander";
import { CliError, EXIT } from "./cli-error.js";
import { commandModules } from "./commands/index.js";

// `ccam … | head` closes the pipe early: that is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(EXIT.ok);
  throw error;
});

const program = new Command()
  .name("ccam")
  .description(
    "CCAM AI command line: referential, rules, suggestions, ledger. Honours CCAM_DATA_DIR and DATABASE_URL.",
  )
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });
for (const register of commandModules) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeOf(error);
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version exit 0; usage errors were already printed by commander.
    return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  }
  if (error instanceof CliError) {
    process.stderr.write(`ccam: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof ConfigError || error instanceof DatabaseLockedError) {
    process.stderr.write(`ccam: ${error.message}\n`);
    return EXIT.failure;
  }
  process.stderr.write(
    `ccam: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return EXIT.failure;
}
