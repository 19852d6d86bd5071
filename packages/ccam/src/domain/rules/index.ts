export * from "./association.js";
export * from "./conditions.js";
export * from "./modifiers.js";
export * from "./notes.js";
export * from "./schema.js";
export * from "./validate.js";
