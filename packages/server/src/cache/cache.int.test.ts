import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { createCache, MemoryCache, type SharedCache } from "./index.js";

const REDIS_URL = process.env.REDIS_URL;

describe("MemoryCache", () => {
  it("answers what was set, forgets expired entries and evicts the oldest beyond its bound", async () => {
    const cache = new MemoryCache({ maxEntries: 2 });
    await cache.set("a", "1", 60);
    await cache.set("b", "2", 60);
    expect(await cache.get("a")).toBe("1");
    await cache.set("c", "3", 60);
    expect(await cache.get("a")).toBeUndefined();
    expect([await cache.get("b"), await cache.get("c")]).toEqual(["2", "3"]);
    await cache.set("d", "4", 0);
    expect(await cache.get("d")).toBeUndefined();
  });
});

describe.skipIf(!REDIS_URL)("RedisCache (real Redis at REDIS_URL)", () => {
  const opened: SharedCache[] = [];
  const open = (url = REDIS_URL, prefix = `ccam:test:${randomUUID()}`) => {
    const cache = createCache(url, { prefix, commandTimeoutMs: 300 });
    opened.push(cache);
    return cache;
  };
  afterAll(async () => {
    for (const cache of opened) await cache.close();
  });

  it("is shared: what one client sets, another client with the same prefix reads; other prefixes do not", async () => {
    const prefix = `ccam:test:${randomUUID()}`;
    const [a, b, other] = [open(REDIS_URL, prefix), open(REDIS_URL, prefix), open()];
    expect(a.kind).toBe("redis");
    await a.set("k", JSON.stringify({ x: 1 }), 60);
    expect(await b.get("k")).toBe('{"x":1}');
    expect(await other.get("k")).toBeUndefined();
  });

  it("turns an unreachable Redis into misses and dropped writes, never an error", async () => {
    // Port 1 on loopback: nothing listens, connections are refused.
    const down = open("redis://127.0.0.1:1");
    await down.set("k", "v", 60);
    expect(await down.get("k")).toBeUndefined();
  });
});

if (!REDIS_URL) {
  describe("RedisCache", () => {
    it.skip("needs REDIS_URL (e.g. redis://127.0.0.1:6379): skipped", () => {});
  });
}
