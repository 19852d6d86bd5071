import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, PGLITE_SETTINGS } from "./connection.js";

const folders: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "ccam-db-"));
  folders.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("embedded database", () => {
  it("runs with the reduced memory settings (shared buffers, maintenance budget)", async () => {
    const handle = await openDatabase({});
    try {
      for (const [name, value] of Object.entries(PGLITE_SETTINGS)) {
        const result = (await handle.db.execute(sql.raw(`show ${name}`))) as unknown as {
          rows: Record<string, string>[];
        };
        expect(result.rows[0]?.[name]).toBe(value);
      }
    } finally {
      await handle.close();
    }
  });

  it("creates a new data folder (in a child process), complete, and keeps what is written in it", async () => {
    const dir = dataDir();
    // A creation interrupted earlier left its sibling folder behind: it is started again from scratch.
    mkdirSync(join(dir, "pglite.init"));
    writeFileSync(join(dir, "pglite.init", "PG_VERSION"), "17");
    const first = await openDatabase({ dataDir: dir });
    await first.db.execute(sql`create table kept (n int)`);
    await first.db.execute(sql`insert into kept values (42)`);
    await first.close();
    expect(existsSync(join(dir, "pglite", "PG_VERSION"))).toBe(true);
    expect(existsSync(join(dir, "pglite.init"))).toBe(false);
    const again = await openDatabase({ dataDir: dir });
    try {
      const result = (await again.db.execute(sql`select n from kept`)) as unknown as {
        rows: { n: number }[];
      };
      expect(result.rows).toEqual([{ n: 42 }]);
    } finally {
      await again.close();
    }
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
