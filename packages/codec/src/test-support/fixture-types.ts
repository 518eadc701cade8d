import { compareReplicaIds, type ReplicaId } from "@convergent/clocks";
import {
  type CrdtType,
  DecodeError,
  defineCrdt,
  equalPlainValues,
  type PlainValue,
  plainValueProblem,
  type WireReader,
} from "@convergent/core";

/**
 * Two small but strict types, written here so the codec can be tested without the real type
 * packages: a grow-only counter and a last-writer-wins map from string keys to plain values.
 * Their fromWire accepts only canonical input, as the real types' must.
 */
export type Counts = Map<ReplicaId, number>;

export const testCounter: CrdtType<Counts, number> = defineCrdt<Counts, number>({
  name: "test-counter",
  empty: () => new Map(),
  clone: (s) => new Map(s),
  joinInto(target, source) {
    for (const [r, n] of source) if (n > (target.get(r) ?? 0)) target.set(r, n);
    return target;
  },
  leq: (a, b) => [...a].every(([r, n]) => n <= (b.get(r) ?? 0)),
  equals: (a, b) => a.size === b.size && [...a].every(([r, n]) => b.get(r) === n),
  value: (s) => [...s.values()].reduce((x, y) => x + y, 0),
  wire: {
    version: 1,
    toWire: (s, w) =>
      [...s.keys()].sort(compareReplicaIds).flatMap((r) => [w.replica(r), s.get(r) as number]),
    fromWire(plain, reader) {
      const flat = array(plain, reader);
      if (flat.length % 2 !== 0) throw new DecodeError("MALFORMED", "odd counter array");
      const counts: Counts = new Map();
      let previous: ReplicaId | undefined;
      for (let i = 0; i < flat.length; i += 2) {
        const replica = reader.replica(flat[i]);
        if (previous !== undefined && compareReplicaIds(previous, replica) >= 0) {
          throw new DecodeError("MALFORMED", "replicas out of order");
        }
        previous = replica;
        counts.set(replica, positive(flat[i + 1]));
      }
      return counts;
    },
  },
});

export const increment = (s: Counts, r: ReplicaId, by: number): Counts =>
  new Map([[r, (s.get(r) ?? 0) + by]]);

/** key → [counter, writer, value]; the higher (counter, writer) wins. */
export interface Written {
  readonly counter: number;
  readonly replica: ReplicaId;
  readonly value: PlainValue;
}
export type LwwMap = Map<string, Written>;

const newer = (a: Written, b: Written): boolean =>
  a.counter !== b.counter ? a.counter > b.counter : compareReplicaIds(a.replica, b.replica) > 0;

export const testLwwMap: CrdtType<LwwMap, Record<string, PlainValue>> = defineCrdt({
  name: "test-lww-map",
  empty: (): LwwMap => new Map(),
  clone: (s: LwwMap): LwwMap => new Map(s),
  joinInto(target: LwwMap, source: LwwMap) {
    for (const [k, w] of source) {
      const mine = target.get(k);
      if (mine === undefined || newer(w, mine)) target.set(k, w);
    }
    return target;
  },
  leq: (a: LwwMap, b: LwwMap) =>
    [...a].every(([k, w]) => {
      const other = b.get(k);
      return other !== undefined && (other === w || !newer(w, other));
    }),
  equals: (a: LwwMap, b: LwwMap) =>
    a.size === b.size &&
    [...a].every(([k, w]) => {
      const o = b.get(k);
      return (
        o !== undefined &&
        o.counter === w.counter &&
        o.replica === w.replica &&
        equalPlainValues(o.value, w.value)
      );
    }),
  value: (s: LwwMap) => Object.fromEntries([...s].map(([k, w]) => [k, w.value])),
  wire: {
    version: 1,
    toWire: (s, w) =>
      [...s.keys()].sort().map((k) => {
        const e = s.get(k) as Written;
        return [k, e.counter, w.replica(e.replica), e.value];
      }),
    fromWire(plain, reader) {
      const state: LwwMap = new Map();
      let previous: string | undefined;
      for (const item of array(plain, reader)) {
        if (!Array.isArray(item) || item.length !== 4) {
          throw new DecodeError("MALFORMED", "entry is not [key, counter, replica, value]");
        }
        const [key, counter, replica, value] = item as unknown[];
        if (typeof key !== "string") throw new DecodeError("WRONG_TYPE", "key is not a string");
        if (previous !== undefined && previous >= key) {
          throw new DecodeError("MALFORMED", "keys out of order");
        }
        previous = key;
        const problem = plainValueProblem(value);
        if (problem !== undefined) throw new DecodeError("INVALID_VALUE", problem);
        state.set(key, {
          counter: positive(counter),
          replica: reader.replica(replica),
          value: value as PlainValue,
        });
      }
      return state;
    },
  },
});

export function put(s: LwwMap, replica: ReplicaId, key: string, value: PlainValue): LwwMap {
  let counter = 0;
  for (const w of s.values()) counter = Math.max(counter, w.counter);
  return new Map([[key, { counter: counter + 1, replica, value }]]);
}

function array(plain: unknown, reader: WireReader): readonly unknown[] {
  if (!Array.isArray(plain)) throw new DecodeError("WRONG_TYPE", "payload is not an array");
  if (plain.length > reader.limits.maxEntries) {
    throw new DecodeError("LIMIT_EXCEEDED", "too many entries");
  }
  return plain;
}

function positive(n: unknown): number {
  if (typeof n !== "number") throw new DecodeError("WRONG_TYPE", "count is not a number");
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new DecodeError("INVALID_VALUE", "count is not a positive safe integer");
  }
  return n;
}
