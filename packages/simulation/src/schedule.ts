/**
 * A schedule is a list of independent steps drawn from one seed: client operations, network
 * faults, crashes, storage loss and clock changes. Every step names replicas by slot and is
 * meaningful (or a no-op) whatever came before it, so the shrinker can drop any subset.
 */
import { Prng } from "@convergent/sync";

export type Level = "one" | "quorum" | "all" | number;

export type OpStep =
  | { kind: "counter"; slot: number; key: string; amount: number; level: Level }
  | { kind: "set-add" | "set-remove"; slot: number; key: string; element: string; level: Level }
  | { kind: "register"; slot: number; key: string; level: Level }
  | { kind: "mv-write"; slot: number; key: string; level: Level }
  | { kind: "causal-add"; slot: number; key: string; level: Level }
  | { kind: "read"; slot: number; key: string; level: Level }
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
  readonly steps: readonly Step[];
}

export interface GenerateOptions {
  /** Client operations per schedule (faults and time steps come on top). */
  readonly operations: number;
  readonly minReplicas?: number;
  readonly maxReplicas?: number;
}

export const COUNTER_KEYS = ["c0", "c1"] as const;
export const SET_KEYS = ["s0", "s1"] as const;
export const REGISTER_KEYS = ["r0", "r1"] as const;
export const MV_KEYS = ["m0", "m1"] as const;
export const CAUSAL_KEYS = ["k0", "k1", "k2"] as const;
export const SESSION_COUNTER = "q0";
export const SESSION_SET = "g0";
export const SESSION_CLIENTS = 3;
const ELEMENTS = ["e0", "e1", "e2", "e3"];
const ALL_KEYS = [
  ...COUNTER_KEYS,
  ...SET_KEYS,
  ...REGISTER_KEYS,
  ...MV_KEYS,
  ...CAUSAL_KEYS,
  SESSION_COUNTER,
  SESSION_SET,
];

/** The drift bound of the store's HLC (clocks' DEFAULT_MAX_DRIFT_MS). */
export const DRIFT_BOUND_MS = 60_000;

export function generate(seed: number, options: GenerateOptions): Schedule {
  const rng = new Prng(seed);
  const min = options.minReplicas ?? 3;
  const max = options.maxReplicas ?? 7;
  const n = min + rng.nextInt(max - min + 1);
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
  return { seed, replicas: n, steps };

  function operation(): OpStep {
    const roll = rng.next();
    const at = slot();
    if (roll < 0.16) {
      const amount = (1 + rng.nextInt(5)) * (rng.chance(0.3) ? -1 : 1);
      return { kind: "counter", slot: at, key: pick(COUNTER_KEYS), amount, level: level() };
    }
    if (roll < 0.32) {
      const kind = rng.chance(0.6) ? "set-add" : "set-remove";
      return { kind, slot: at, key: pick(SET_KEYS), element: pick(ELEMENTS), level: level() };
    }
    if (roll < 0.44)
      return { kind: "register", slot: at, key: pick(REGISTER_KEYS), level: level() };
    if (roll < 0.56) return { kind: "mv-write", slot: at, key: pick(MV_KEYS), level: level() };
    if (roll < 0.68)
      return { kind: "causal-add", slot: at, key: pick(CAUSAL_KEYS), level: level() };
    if (roll < 0.8) return { kind: "read", slot: at, key: pick(ALL_KEYS), level: level() };
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
