export * from "./cli-error.js";
export { commandModules } from "./commands/index.js";
export * from "./context.js";
