export {
  BackupError,
  type DumpInfo,
  type DumpTarget,
  dumpDatabase,
  PGLITE_DUMP_FILE,
  POSTGRES_DUMP_FILE,
  restoreDatabase,
} from "./backup.js";
export {
  type Database,
  type DatabaseHandle,
  DatabaseLockedError,
  LISTENER_HEARTBEAT,
  type NotificationHandlers,
  type OpenDatabaseOptions,
  openDatabase,
  PGLITE_SETTINGS,
} from "./connection.js";
export { type MigrationSet, migrate } from "./migrate.js";
export { applicationRoleGrants } from "./roles.js";
export { bindRecord, PreparedStatement, placeholdersOf } from "./statement.js";
export { openTestDatabase } from "./testing.js";
