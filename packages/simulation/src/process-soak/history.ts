/**
 * The soak's record of client writes and the final check. Every key is an LWW register whose
 * timestamps come from HLCs on one machine's clock, so a write that ended before another began
 * has the smaller timestamp. Hence, soundly: all replicas must hold the same value; a key's
 * final value must be one that was written to it; and it must not be a write that ended before
 * some acknowledged write on the key began, since that acknowledged write would then be lost.
 */
import type { Level } from "./client.js";

export interface WriteRecord {
  readonly key: string;
  readonly value: string;
  readonly level: Level;
  readonly replica: string;
  /** Date.now() before the request was sent. */
  readonly start: number;
  /** When the answer arrived; Infinity when none did (the write may still apply later). */
  readonly end: number;
  readonly acked: boolean;
}

export interface Violation {
  readonly check: "convergence" | "lost-write" | "phantom-value" | "replica-crash";
  readonly message: string;
}

/** Final values: replica id → key → value (undefined when the replica does not hold the key). */
export type FinalValues = ReadonlyMap<string, ReadonlyMap<string, unknown>>;

export function checkHistory(writes: readonly WriteRecord[], finals: FinalValues): Violation[] {
  const violations: Violation[] = [];
  const byKey = new Map<string, WriteRecord[]>();
  for (const write of writes) {
    const list = byKey.get(write.key) ?? [];
    list.push(write);
    byKey.set(write.key, list);
  }
  const replicas = [...finals.keys()];
  for (const [key, keyWrites] of byKey) {
    const values = replicas.map((r) => finals.get(r)?.get(key));
    const first = values[0];
    if (values.some((v) => v !== first)) {
      const shown = replicas.map((r, i) => `${r}=${JSON.stringify(values[i])}`).join(" ");
      violations.push({ check: "convergence", message: `${key}: replicas differ: ${shown}` });
      continue;
    }
    const acked = keyWrites.filter((w) => w.acked);
    if (first === undefined) {
      if (acked.length > 0) {
        violations.push({
          check: "lost-write",
          message: `${key}: unset although ${acked.length} writes were acknowledged`,
        });
      }
      continue;
    }
    const source = keyWrites.find((w) => w.value === first);
    if (source === undefined) {
      violations.push({
        check: "phantom-value",
        message: `${key}: final value ${JSON.stringify(first)} was never written to it`,
      });
      continue;
    }
    const overwritten = acked.find((w) => w !== source && source.end < w.start);
    if (overwritten !== undefined) {
      violations.push({
        check: "lost-write",
        message: `${key}: final ${JSON.stringify(first)} (ended ${source.end}) predates acknowledged ${JSON.stringify(overwritten.value)} at ${overwritten.level} via ${overwritten.replica} (started ${overwritten.start})`,
      });
    }
  }
  return violations;
}
