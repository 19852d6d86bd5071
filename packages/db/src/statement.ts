import { is, Param, Placeholder, type Query, type SQL, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Database } from "./connection.js";

const dialect = new PgDialect();

/**
 * A statement composed once and run many times. Drizzle builds its SQL text a single time, with every value a
 * named `sql.placeholder`; on PostgreSQL it then runs as a named prepared statement, parsed and planned once per
 * connection. Composing the hot statements' SQL on every request was the largest share of the API's CPU under
 * load after the coder (decision 0009). The name must be unique to the SQL text: node-postgres refuses one name
 * for two texts on the same connection. Every value must be a placeholder: a value written into the composed
 * statement would silently be reused by every later run, so the constructor refuses it.
 */
export class PreparedStatement<Row> {
  private readonly query: Query;

  constructor(
    readonly name: string,
    statement: SQL,
  ) {
    this.query = dialect.sqlToQuery(statement);
    const fixed = this.query.params.findIndex(
      (p) => !is(p, Placeholder) && !(is(p, Param) && is(p.value, Placeholder)),
    );
    if (fixed >= 0)
      throw new Error(`statement ${name}: parameter $${fixed + 1} is a value, not a placeholder`);
  }

  /** Runs on `db`: the pool, or a transaction (whose connection then prepares it). */
  async run(db: Database, values: Record<string, unknown>): Promise<Row[]> {
    const result = await db._.session.prepareQuery(this.query, undefined, this.name, false).execute(values);
    return (result as { rows: Row[] }).rows;
  }
}

/** The placeholders of a record's fields, named `${prefix}${field}`: the composing half of `bindRecord`. */
export function placeholdersOf<T extends object>(
  prefix: string,
  record: T,
): { [K in keyof T]: ReturnType<typeof sql.placeholder> } {
  return Object.fromEntries(Object.keys(record).map((k) => [k, sql.placeholder(`${prefix}${k}`)])) as {
    [K in keyof T]: ReturnType<typeof sql.placeholder>;
  };
}

/** Adds a record's values to `values` under the names `placeholdersOf(prefix, …)` gave them. */
export function bindRecord(values: Record<string, unknown>, prefix: string, record: object): void {
  for (const [k, v] of Object.entries(record)) values[`${prefix}${k}`] = v;
}
