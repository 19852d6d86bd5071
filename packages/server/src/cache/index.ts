import { Redis } from "ioredis";

/**
 * A small key → string cache shared by every API instance when REDIS_URL is set (Redis), private to the process
 * otherwise (in memory). A cache never answers for the source of truth: a failed or slow look-up is a miss, a
 * failed write is dropped, so a Redis outage costs recomputation, never an error.
 */
export interface SharedCache {
  readonly kind: "redis" | "memory";
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  close(): Promise<void>;
}

export interface CacheOptions {
  /** Namespace of every key (e.g. the database schema, so two deployments can share one Redis). */
  prefix?: string;
  /** In memory: entries kept before the oldest is evicted. */
  maxEntries?: number;
  /** Redis: time a command may take before it counts as a miss. */
  commandTimeoutMs?: number;
  /** Called when the Redis connection fails or recovers (once per change, not per retry). */
  onStateChange?: (state: "up" | "down", detail: string) => void;
}

export function createCache(redisUrl: string | undefined, options: CacheOptions = {}): SharedCache {
  return redisUrl ? new RedisCache(redisUrl, options) : new MemoryCache(options);
}

/** Bounded, insertion-ordered map with expiry: the single-instance default. */
export class MemoryCache implements SharedCache {
  readonly kind = "memory";
  private readonly entries = new Map<string, { value: string; expires: number }>();
  private readonly maxEntries: number;

  constructor(options: CacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1000;
  }

  async get(key: string): Promise<string | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expires: Date.now() + ttlSeconds * 1000 });
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}

/**
 * Redis (ioredis) with a key prefix and a per-command timeout. Commands sent while the first connection is being
 * made wait for it (bounded by the timeout); once a connection was lost, commands are not queued: during an
 * outage every look-up is an immediate miss, not a wait.
 */
export class RedisCache implements SharedCache {
  readonly kind = "redis";
  private readonly redis: Redis;
  private up = true;

  constructor(url: string, options: CacheOptions = {}) {
    this.redis = new Redis(url, {
      keyPrefix: options.prefix ? `${options.prefix}:` : "ccam:",
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: options.commandTimeoutMs ?? 500,
      enableOfflineQueue: true,
    });
    const report = (up: boolean, detail: string) => {
      if (up === this.up) return;
      this.up = up;
      options.onStateChange?.(up ? "up" : "down", detail);
    };
    // Without a listener ioredis prints "Unhandled error event" on every retry; the state change is reported once.
    this.redis.on("error", (error: Error) => report(false, error.message));
    this.redis.on("ready", () => report(true, "connected"));
  }

  /** Down after having been connected (reconnecting, closed): skip Redis instead of queueing behind it. */
  private get unavailable(): boolean {
    const status = this.redis.status;
    return status === "reconnecting" || status === "close" || status === "end";
  }

  async get(key: string): Promise<string | undefined> {
    if (this.unavailable) return undefined;
    try {
      return (await this.redis.get(key)) ?? undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    if (this.unavailable) return;
    try {
      await this.redis.set(key, value, "EX", Math.max(1, Math.round(ttlSeconds)));
    } catch {
      // dropped: the next look-up recomputes
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
