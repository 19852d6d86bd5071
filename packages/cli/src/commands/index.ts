import type { Command } from "commander";
import { registerBackupCommands } from "./backup.js";
import { registerCoderCommands } from "./coder.js";
import { registerDatabaseCommands } from "./database.js";
import { registerReferentialCommands } from "./referential.js";
import { registerRulesCommands } from "./rules.js";
import { registerVerifyCommands } from "./verify.js";

/** Each command module registers its subcommands; add new modules here. */
export const commandModules: ((program: Command) => void)[] = [
  registerReferentialCommands,
  registerRulesCommands,
  registerVerifyCommands,
  registerCoderCommands,
  registerBackupCommands,
  registerDatabaseCommands,
];
