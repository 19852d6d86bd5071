import type { Command } from "commander";
import { registerCoderCommands } from "./coder.js";
import { registerReferentialCommands } from "./referential.js";
import { registerVerifyCommands } from "./verify.js";

/** Each command module registers its subcommands; add new modules here. */
export const commandModules: ((program: Command) => void)[] = [
  registerReferentialCommands,
  registerVerifyCommands,
  registerCoderCommands,
];
