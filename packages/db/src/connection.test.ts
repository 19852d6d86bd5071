import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SQL, sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import {
  type DatabaseHandle,
  type OpenDatabaseOptions,
  openDatabase,
  PGLITE_SETTINGS,
} from "./connection.js";

const folders: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "ccam-db-"));
  folders.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Opens a database, hands it to `use`, and closes it whatever happens. */
async function withDatabase(options: OpenDatabaseOptions, use: (handle: DatabaseHandle) => Promise<void>) {
  const handle = await openDatabase(options);
  try {
    await use(handle);
  } finally {
    await handle.close();
  }
}

/** The rows a statement answers. */
const rowsOf = async <T>(handle: DatabaseHandle, query: SQL): Promise<T[]> =>
  ((await handle.db.execute(query)) as unknown as { rows: T[] }).rows;

describe("embedded database", () => {
  it("runs with the reduced memory settings (shared buffers, maintenance budget)", async () => {
    await withDatabase({}, async (handle) => {
      for (const [name, value] of Object.entries(PGLITE_SETTINGS)) {
        const [row] = await rowsOf<Record<string, string>>(handle, sql.raw(`show ${name}`));
        expect(row?.[name]).toBe(value);
      }
    });
  });

  it("creates a new data folder (in a child process), complete, and keeps what is written in it", async () => {
    const dir = dataDir();
    // A creation interrupted earlier left its sibling folder behind: it is started again from scratch.
    mkdirSync(join(dir, "pglite.init"));
    writeFileSync(join(dir, "pglite.init", "PG_VERSION"), "17");
    await withDatabase({ dataDir: dir }, async (first) => {
      await first.db.execute(sql`create table kept (n int)`);
      await first.db.execute(sql`insert into kept values (42)`);
    });
    expect(existsSync(join(dir, "pglite", "PG_VERSION"))).toBe(true);
    expect(existsSync(join(dir, "pglite.init"))).toBe(false);
    await withDatabase({ dataDir: dir }, async (again) => {
      expect(await rowsOf(again, sql`select n from kept`)).toEqual([{ n: 42 }]);
    });
  });

  it("refuses a database folder that holds something else, and leaves it as it was", async () => {
    const dir = dataDir();
    mkdirSync(join(dir, "pglite"));
    writeFileSync(join(dir, "pglite", "notes.txt"), "not a database");
    for (let attempt = 0; attempt < 2; attempt++) {
      // The second attempt gets the same answer: the first released its lock.
      await expect(openDatabase({ dataDir: dir })).rejects.toThrow(/holds no embedded database/);
    }
    expect(existsSync(join(dir, "pglite", "notes.txt"))).toBe(true);
    expect(existsSync(join(dir, "pglite.init"))).toBe(false);
  });
});
