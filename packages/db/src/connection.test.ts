import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openDatabase, PGLITE_SETTINGS } from "./connection.js";

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
});
