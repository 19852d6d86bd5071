import { type DatabaseHandle, LISTENER_HEARTBEAT } from "@ccam/db";

/** A running count of the SQL statements sent to a database, each one round trip. */
export interface StatementCounter {
  /** Statements since the last reset. */
  readonly count: number;
  /** Their text (the first line), for a failing assertion's message. */
  readonly statements: readonly string[];
  reset(): void;
  /** Puts the driver back as it was. */
  restore(): void;
}

type QueryFn = (...args: unknown[]) => Promise<unknown>;
interface Queryable {
  query: QueryFn;
  exec?: QueryFn;
  transaction?: (callback: (tx: Queryable) => Promise<unknown>) => Promise<unknown>;
}

/**
 * Counts every statement the process sends to `database`, as docs/benchmarks.md counts them: on PostgreSQL by
 * wrapping node-postgres's `Client.query` (every pooled connection, `BEGIN` and `COMMIT` included); on PGlite by
 * wrapping the instance's `query`/`exec` and, for a transaction, its queries plus its `BEGIN` and `COMMIT`. Anything
 * else using the database meanwhile (the anchoring worker's rounds) is counted too: stop it first. The notification
 * listener's own connection (its LISTEN, its heartbeat) serves no request and is not counted.
 */
export function countStatements(database: DatabaseHandle): StatementCounter {
  const statements: string[] = [];
  const record = (text: unknown) => {
    const raw =
      typeof text === "string" ? text : String((text as { text?: unknown } | undefined)?.text ?? text);
    if (raw === LISTENER_HEARTBEAT || raw.startsWith("LISTEN ")) return;
    statements.push(raw.split("\n")[0]?.slice(0, 160) ?? "");
  };
  const wrap = (target: Queryable, name: "query" | "exec"): (() => void) => {
    const original = target[name];
    if (!original) return () => {};
    target[name] = function (this: unknown, ...args: unknown[]) {
      record(args[0]);
      return original.apply(this, args);
    };
    return () => {
      target[name] = original;
    };
  };
  const restorers: (() => void)[] = [];
  const client = (database.db as unknown as { $client: unknown }).$client;
  if (database.kind === "postgres") {
    // pg.Pool keeps the client class it creates connections with (pg.Client unless told otherwise).
    const Client = (client as { Client: { prototype: Queryable } }).Client;
    restorers.push(wrap(Client.prototype, "query"));
  } else {
    const pglite = client as Queryable;
    restorers.push(wrap(pglite, "query"), wrap(pglite, "exec"));
    const transaction = pglite.transaction;
    if (transaction) {
      pglite.transaction = function (this: unknown, callback) {
        record("BEGIN");
        return transaction
          .call(this, (tx) => {
            wrap(tx, "query");
            wrap(tx, "exec");
            return callback(tx);
          })
          .finally(() => record("COMMIT/ROLLBACK"));
      };
      restorers.push(() => {
        pglite.transaction = transaction;
      });
    }
  }
  return {
    get count() {
      return statements.length;
    },
    statements,
    reset() {
      statements.length = 0;
    },
    restore() {
      for (const restore of restorers.reverse()) restore();
    },
  };
}
