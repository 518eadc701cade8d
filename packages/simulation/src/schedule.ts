/**
 * A schedule is a list of independent steps drawn from one seed: client operations, network
 * faults, crashes, storage loss and clock changes. Every step names replicas by slot and is
 * meaningful (or a no-op) whatever came before it, so the shrinker can drop any subset.
 */
import { Prng } from "@convergent/sync";

export type Level = "one" | "quorum" | "all" | number;

/** A field of an OR-Map key: its name and type tag (a nested map's tag is "or-map"). */
export interface FieldRef {
  readonly name: string;
  readonly tag: string;
}

/** What a map operation does at the end of its path. */
export type MapEffect =
  | { readonly kind: "counter"; readonly amount: number }
  | { readonly kind: "set-add" | "set-remove"; readonly element: string }
  | { readonly kind: "register" };

/**
 * Keys are names: the step's kind says the type (a read and a delete name the tag), so one
 * name used by two kinds of step is one name held as two types.
 */
export type OpStep =
  | { kind: "counter"; slot: number; key: string; amount: number; level: Level }
  | { kind: "set-add" | "set-remove"; slot: number; key: string; element: string; level: Level }
  | { kind: "register"; slot: number; key: string; level: Level }
  | { kind: "mv-write"; slot: number; key: string; level: Level }
  | { kind: "causal-add"; slot: number; key: string; level: Level }
  | { kind: "read"; slot: number; key: string; tag: string; level: Level }
  /** Every type under the name, or only `tag`'s key. */
  | { kind: "delete"; slot: number; key: string; tag?: string; level: Level }
  | {
      kind: "map-update";
      slot: number;
      key: string;
      path: readonly FieldRef[];
      effect: MapEffect;
      level: Level;
    }
  | { kind: "map-remove"; slot: number; key: string; path: readonly FieldRef[]; level: Level }
  | {
      kind: "session-add" | "session-increment" | "session-read";
      slot: number;
      client: number;
      key: string;
      level: Level;
    };

export type FaultStep =
  | { kind: "advance"; ms: number }
  | { kind: "partition"; groups: number[][] }
  | { kind: "heal" }
  | { kind: "link"; loss: number; duplicate: number; maxLatency: number; ordered: boolean }
  | { kind: "crash"; slot: number; midCommit: boolean }
  | { kind: "restart"; slot: number }
  | { kind: "wipe"; slot: number }
  | { kind: "clock"; slot: number; offsetMs: number };

export type Step = OpStep | FaultStep;

export interface Schedule {
  readonly seed: number;
  readonly replicas: number;
  /** The sync engines' `maxEntriesPerFrame` when small (split responses); else the default. */
  readonly maxEntriesPerFrame?: number;
  readonly steps: readonly Step[];
}

export interface GenerateOptions {
  /** Client operations per schedule (faults and time steps come on top). */
  readonly operations: number;
  readonly minReplicas?: number;
  readonly maxReplicas?: number;
}

export const COUNTER = "pn-counter";
export const SET = "or-set";
export const REGISTER = "lww-register";
export const MV = "mv-register";
export const MAP = "or-map";
export const TAGS = [COUNTER, SET, REGISTER, MV, MAP] as const;

/** The keyspace key of (name, tag), as the store spells it (replicated-store keys.ts). */
export function storeKey(name: string, tag: string): string {
  return `${name}\u0000${tag}`;
}

/** "name:tag", for messages. */
export function keyText(key: string): string {
  return key.replace("\u0000", ":");
}

/** Names each used as more than one type, so replicas create them concurrently as different types. */
export const SHARED_NAMES = ["x0", "x1"] as const;
export const COUNTER_KEYS = ["c0", "c1"] as const;
export const SET_KEYS = ["s0", "s1"] as const;
export const REGISTER_KEYS = ["r0", "r1"] as const;
export const MV_KEYS = ["m0", "m1"] as const;
export const MAP_KEYS = ["o0", "o1"] as const;
/** Grow-only (never deleted): the causal and session checks read them by value. */
export const CAUSAL_KEYS = ["k0", "k1", "k2"] as const;
export const SESSION_COUNTER = "q0";
export const SESSION_SET = "g0";
export const SESSION_CLIENTS = 3;
const ELEMENTS = ["e0", "e1", "e2", "e3"];
/** Names that deletes may hit: everything but the grow-only causal and session keys. */
const DELETABLE = [
  ...COUNTER_KEYS,
  ...SET_KEYS,
  ...REGISTER_KEYS,
  ...MV_KEYS,
  ...MAP_KEYS,
  ...SHARED_NAMES,
];
/** Map fields: three types under two names (one name as two types), and a nested map. */
const MAP_FIELDS: readonly FieldRef[] = [
  { name: "f0", tag: COUNTER },
  { name: "f0", tag: SET },
  { name: "f1", tag: REGISTER },
  { name: "f1", tag: COUNTER },
];
const NESTED: FieldRef = { name: "n", tag: MAP };
const NESTED_FIELDS: readonly FieldRef[] = [
  { name: "g", tag: COUNTER },
  { name: "h", tag: SET },
];
const READABLE: readonly (readonly [string, string])[] = [
  ...COUNTER_KEYS.map((k) => [k, COUNTER] as const),
  ...SET_KEYS.map((k) => [k, SET] as const),
  ...REGISTER_KEYS.map((k) => [k, REGISTER] as const),
  ...MV_KEYS.map((k) => [k, MV] as const),
  ...MAP_KEYS.map((k) => [k, MAP] as const),
  ...CAUSAL_KEYS.map((k) => [k, SET] as const),
  ...SHARED_NAMES.flatMap((k) => [[k, COUNTER] as const, [k, SET] as const]),
  [SESSION_COUNTER, COUNTER],
  [SESSION_SET, SET],
];

/** The drift bound of the store's HLC (clocks' DEFAULT_MAX_DRIFT_MS). */
export const DRIFT_BOUND_MS = 60_000;

export function generate(seed: number, options: GenerateOptions): Schedule {
  const rng = new Prng(seed);
  const min = options.minReplicas ?? 3;
  const max = options.maxReplicas ?? 7;
  const n = min + rng.nextInt(max - min + 1);
  // Some schedules split every sync response into parts of a few keys (causal delivery of parts).
  const maxEntriesPerFrame = rng.chance(0.25) ? 2 + rng.nextInt(4) : undefined;
  const pick = <T>(items: readonly T[]): T => items[rng.nextInt(items.length)] as T;
  const slot = () => rng.nextInt(n);
  const level = (): Level => {
    const roll = rng.next();
    if (roll < 0.7) return "one";
    if (roll < 0.85) return "quorum";
    if (roll < 0.92) return "all";
    return 1 + rng.nextInt(n);
  };
  const steps: Step[] = [];
  let ops = 0;
  while (ops < options.operations) {
    const roll = rng.next();
    if (roll < 0.72) {
      steps.push(operation());
      ops++;
    } else if (roll < 0.9)
      steps.push({ kind: "advance", ms: 1 + rng.nextInt(rng.chance(0.2) ? 800 : 60) });
    else steps.push(fault());
  }
  return {
    seed,
    replicas: n,
    ...(maxEntriesPerFrame === undefined ? {} : { maxEntriesPerFrame }),
    steps,
  };

  function operation(): OpStep {
    const roll = rng.next();
    const at = slot();
    // A quarter of the typed writes use a shared name, which other steps use as other types.
    const name = (own: readonly string[]) => (rng.chance(0.25) ? pick(SHARED_NAMES) : pick(own));
    if (roll < 0.13) {
      const amount = (1 + rng.nextInt(5)) * (rng.chance(0.3) ? -1 : 1);
      return { kind: "counter", slot: at, key: name(COUNTER_KEYS), amount, level: level() };
    }
    if (roll < 0.26) {
      const kind = rng.chance(0.6) ? "set-add" : "set-remove";
      return { kind, slot: at, key: name(SET_KEYS), element: pick(ELEMENTS), level: level() };
    }
    if (roll < 0.34)
      return { kind: "register", slot: at, key: name(REGISTER_KEYS), level: level() };
    if (roll < 0.42) return { kind: "mv-write", slot: at, key: name(MV_KEYS), level: level() };
    if (roll < 0.52)
      return { kind: "causal-add", slot: at, key: pick(CAUSAL_KEYS), level: level() };
    if (roll < 0.6) {
      const [key, tag] = pick(READABLE);
      return { kind: "read", slot: at, key, tag, level: level() };
    }
    if (roll < 0.66) {
      const key = pick(DELETABLE);
      const byType = rng.chance(0.5);
      return byType
        ? { kind: "delete", slot: at, key, tag: pick(TAGS), level: level() }
        : { kind: "delete", slot: at, key, level: level() };
    }
    if (roll < 0.8) return mapOperation(at);
    const client = rng.nextInt(SESSION_CLIENTS);
    const sub = rng.next();
    if (sub < 0.3)
      return { kind: "session-add", slot: at, client, key: SESSION_SET, level: level() };
    if (sub < 0.55) {
      return { kind: "session-increment", slot: at, client, key: SESSION_COUNTER, level: level() };
    }
    const key = rng.chance(0.5) ? SESSION_SET : SESSION_COUNTER;
    return { kind: "session-read", slot: at, client, key, level: level() };
  }

  function mapOperation(at: number): OpStep {
    const key = rng.chance(0.15) ? pick(SHARED_NAMES) : pick(MAP_KEYS);
    const nested = rng.chance(0.35);
    const leaf = pick(nested ? NESTED_FIELDS : MAP_FIELDS);
    const path = nested ? [NESTED, leaf] : [leaf];
    if (rng.chance(0.2)) {
      // Remove a field, or (sometimes) the whole nested map.
      const removed = nested && rng.chance(0.4) ? [NESTED] : path;
      return { kind: "map-remove", slot: at, key, path: removed, level: level() };
    }
    let effect: MapEffect;
    if (leaf.tag === COUNTER) {
      effect = { kind: "counter", amount: (1 + rng.nextInt(4)) * (rng.chance(0.3) ? -1 : 1) };
    } else if (leaf.tag === SET) {
      effect = { kind: rng.chance(0.7) ? "set-add" : "set-remove", element: pick(ELEMENTS) };
    } else effect = { kind: "register" };
    return { kind: "map-update", slot: at, key, path, effect, level: level() };
  }

  function fault(): FaultStep {
    const roll = rng.next();
    if (roll < 0.18) {
      const groups: number[][] = [[], []];
      for (let i = 0; i < n; i++) groups[rng.nextInt(2)]?.push(i);
      return { kind: "partition", groups };
    }
    if (roll < 0.34) return { kind: "heal" };
    if (roll < 0.5) {
      return {
        kind: "link",
        loss: rng.chance(0.3) ? 0 : rng.next() * 0.3,
        duplicate: rng.chance(0.5) ? 0 : rng.next() * 0.2,
        maxLatency: 1 + rng.nextInt(rng.chance(0.2) ? 400 : 40),
        ordered: rng.chance(0.3),
      };
    }
    if (roll < 0.64) return { kind: "crash", slot: slot(), midCommit: rng.chance(0.5) };
    if (roll < 0.8) return { kind: "restart", slot: slot() };
    if (roll < 0.84) return { kind: "wipe", slot: slot() };
    // Within the drift bound mostly; sometimes beyond it, ahead or behind (a jump backwards).
    const bound = rng.chance(0.25) ? 3 * DRIFT_BOUND_MS : DRIFT_BOUND_MS / 2;
    return { kind: "clock", slot: slot(), offsetMs: Math.round((rng.next() * 2 - 1) * bound) };
  }
}
