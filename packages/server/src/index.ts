export * from "./app.js";
export * from "./bootstrap.js";
export * from "./config.js";
export * from "./problem.js";
export * from "./services/referential-service.js";
