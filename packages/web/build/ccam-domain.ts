/**
 * `@ccam/ccam` as the browser sees it: the domain half of packages/ccam/src/index.ts (pure, no I/O), without the
 * import and store modules. The API's schemas (@ccam/server/schemas) import their CCAM schemas from here.
 */
export * from "../../ccam/src/domain/diff.js";
export * from "../../ccam/src/domain/enrich.js";
export * from "../../ccam/src/domain/model.js";
export * from "../../ccam/src/domain/parse.js";
export * from "../../ccam/src/domain/referential.js";
export * from "../../ccam/src/domain/rules/index.js";
export * from "../../ccam/src/domain/search.js";
export * from "../../ccam/src/domain/text.js";
