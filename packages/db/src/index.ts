export {
  type Database,
  type DatabaseHandle,
  DatabaseLockedError,
  type OpenDatabaseOptions,
  openDatabase,
} from "./connection.js";
export { type MigrationSet, migrate } from "./migrate.js";
export { openTestDatabase } from "./testing.js";
