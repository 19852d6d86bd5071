import { loadConfig, openRuntime, type Runtime } from "@ccam/server";

/** Runs `fn` with an opened runtime (config from the environment, migrated database, loaded versions; the ledger and
 * act workflow with `ledger`). */
export async function withRuntime<T>(
  fn: (runtime: Runtime) => Promise<T>,
  options: { ledger?: boolean } = {},
): Promise<T> {
  const runtime = await openRuntime(loadConfig(), options);
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

/** Prints JSON on stdout (for --json). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows as an aligned text table. */
export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  const cells = rows.map((row) => columns.map((column) => String(row[column] ?? "")));
  const widths = columns.map((column, i) =>
    Math.max(column.length, ...cells.map((c) => (c[i] ?? "").length)),
  );
  const format = (values: string[]) =>
    values
      .map((value, i) => value.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  process.stdout.write(`${format(columns)}\n${format(widths.map((w) => "-".repeat(w)))}\n`);
  for (const row of cells) process.stdout.write(`${format(row)}\n`);
}
