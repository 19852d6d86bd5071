import { Redis } from "ioredis";

export interface CacheCheck {
  ok: boolean;
  detail: string;
}

/** Readiness of the shared cache: a Redis ping when REDIS_URL is set, the in-process store otherwise. */
export interface CacheProbe {
  readonly kind: "redis" | "memory";
  check(): Promise<CacheCheck>;
  close(): Promise<void>;
}

const PING_TIMEOUT_MS = 1500;

export function createCacheProbe(redisUrl: string | undefined): CacheProbe {
  if (!redisUrl) {
    return {
      kind: "memory",
      check: async () => ({ ok: true, detail: "in memory (single instance; set REDIS_URL to scale out)" }),
      close: async () => {},
    };
  }
  // Its own connection, opened on first check: a probe must not queue behind (or break) the app's clients.
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: PING_TIMEOUT_MS,
    enableOfflineQueue: true,
  });
  redis.on("error", () => {}); // reported by check(); an unhandled 'error' event would crash the process
  const host = safeHost(redisUrl);
  return {
    kind: "redis",
    async check() {
      let timer: NodeJS.Timeout | undefined;
      try {
        if (redis.status === "wait" || redis.status === "end") await redis.connect().catch(() => undefined);
        const answer = await Promise.race([
          redis.ping(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)),
              PING_TIMEOUT_MS,
            );
          }),
        ]);
        return { ok: answer === "PONG", detail: `redis ${host}` };
      } catch (error) {
        return { ok: false, detail: `redis ${host} unreachable: ${(error as Error).message}` };
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (redis.status === "wait") {
        redis.disconnect();
        return;
      }
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** host:port of a redis:// URL, without credentials. */
function safeHost(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.host;
  } catch {
    return "(unparsable url)";
  }
}
