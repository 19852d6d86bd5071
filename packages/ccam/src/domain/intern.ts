import type { Referential } from "./referential.js";

/** Gives one shared copy of each distinct string: for one load only (the map is not kept). */
export type Interner = (value: string) => string;

/** An interner, already holding every string of `referentials` (a version loaded beside them shares theirs). */
export function interner(referentials: Iterable<Referential> = []): Interner {
  const seen = new Map<string, string>();
  const intern: Interner = (value) => {
    const kept = seen.get(value);
    if (kept !== undefined) return kept;
    seen.set(value, value);
    return value;
  };
  const walk = (value: unknown): void => {
    if (typeof value === "string") intern(value);
    else if (Array.isArray(value)) for (const item of value) walk(item);
    else if (value !== null && typeof value === "object") for (const item of Object.values(value)) walk(item);
  };
  for (const referential of referentials)
    for (const map of [referential.acts, referential.chapters, referential.modifiers])
      for (const item of map.values()) walk(item);
  return intern;
}

/** Replaces a row's string fields, and the strings of its array fields, by their interned copies. */
export function internStrings(row: Record<string, unknown>, intern: Interner): void {
  for (const [key, value] of Object.entries(row)) {
    if (typeof value === "string") row[key] = intern(value);
    else if (Array.isArray(value))
      for (let i = 0; i < value.length; i++) if (typeof value[i] === "string") value[i] = intern(value[i]);
  }
}
