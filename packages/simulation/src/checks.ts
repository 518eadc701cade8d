/**
 * The checks run once every replica agrees: (1) byte-identical canonical states, (2) every
 * durably acknowledged write present, (4) causality in the final views, and (5) each type's
 * value as its sequential specification allows, computed from the history alone.
 */

import { containsDot } from "@convergent/clocks";
import { createCodec } from "@convergent/codec";
import { compareEntries, type LwwEntry } from "@convergent/lww-register";
import type { PnCounterState } from "@convergent/pn-counter";
import { bytesEqual } from "./bytes.js";
import type { CausalTracker } from "./causal.js";
import type { Incarnation } from "./cluster.js";
import type { History, Survival, WriteRecord } from "./history.js";
import {
  CAUSAL_KEYS,
  COUNTER_KEYS,
  MV_KEYS,
  REGISTER_KEYS,
  SESSION_COUNTER,
  SESSION_SET,
  SET_KEYS,
} from "./schedule.js";
import type { Violation } from "./violations.js";

const codec = createCodec();

export function finalChecks(
  live: readonly Incarnation[],
  history: History,
  causal: CausalTracker,
  replicas: number,
): Violation[] {
  const out: Violation[] = [];
  const add = (check: Violation["check"], message: string) => out.push({ check, message });
  if (live.length !== replicas) add("harness", `${live.length} of ${replicas} replicas are live`);
  const first = live[0];
  if (first === undefined) return out;

  // (1) Strong eventual consistency: the same keys with byte-identical codec encodings.
  const reference = encodeAll(first);
  for (const other of live.slice(1)) {
    const mine = encodeAll(other);
    for (const key of new Set([...reference.keys(), ...mine.keys()])) {
      const a = reference.get(key);
      const b = mine.get(key);
      if (a === undefined || b === undefined || !bytesEqual(a, b)) {
        add("1-convergence", `key ${key}: ${first.id} and ${other.id} hold different states`);
      }
    }
  }

  // (2) Every acknowledged write is in every replica's context. (A write a crash cut off may be
  // in contexts anyway: a restarted replica claims its reserved dots. Check 5 finds its effect.)
  for (const w of history.writes) {
    if (w.dot === undefined) continue;
    const survival = history.survival(w);
    for (const incarnation of live) {
      const has = containsDot(incarnation.replica.keyspace.context, w.dot);
      if (survival === "definite" && !has) {
        add(
          "2-acknowledged-write-lost",
          `${describe(w)} (${w.outcome}) is missing on ${incarnation.id}`,
        );
      }
    }
  }

  // (4) Causality in every final view.
  for (const incarnation of live) {
    const problem = causal.check(causal.view(incarnation.replica));
    if (problem !== undefined) add("4-causality", `final state of ${incarnation.id}: ${problem}`);
  }

  // (5) Sequential specifications, on the first replica (the others hold the same bytes).
  const keyspace = first.replica.keyspace;
  const state = (key: string) => keyspace.get(key)?.state;
  for (const key of [...COUNTER_KEYS, SESSION_COUNTER]) {
    const problem = checkCounter(state(key) as PnCounterState | undefined, history, key);
    if (problem !== undefined) add("5-sequential-spec", `counter ${key}: ${problem}`);
  }
  for (const key of SET_KEYS) {
    const problem = checkAddWins(elements(first, key), history, key);
    if (problem !== undefined) add("5-sequential-spec", `set ${key}: ${problem}`);
  }
  for (const key of [...CAUSAL_KEYS, SESSION_SET]) {
    const problem = checkGrowOnly(elements(first, key), history, key);
    if (problem !== undefined) add("5-sequential-spec", `set ${key}: ${problem}`);
  }
  for (const key of REGISTER_KEYS) {
    const entry = (state(key) as { entry?: LwwEntry } | undefined)?.entry;
    const problem = checkLww(entry, history, key);
    if (problem !== undefined) add("5-sequential-spec", `register ${key}: ${problem}`);
  }
  for (const key of MV_KEYS) {
    const values = keyspace.has(key) ? first.replica.keyspace.value(key, mvType(first)) : [];
    const problem = checkMv((values ?? []).map(String), history, key);
    if (problem !== undefined) add("5-sequential-spec", `mv-register ${key}: ${problem}`);
  }
  return out;
}

/** FNV-1a over every key and its canonical bytes, in key order. */
export function digest(incarnation: Incarnation): string {
  const all = encodeAll(incarnation);
  let h = 0x811c9dc5;
  const mix = (byte: number) => {
    h = Math.imul(h ^ byte, 0x01000193);
  };
  for (const key of [...all.keys()].sort()) {
    for (let i = 0; i < key.length; i++) mix(key.charCodeAt(i) & 0xff);
    for (const byte of all.get(key) as Uint8Array) mix(byte);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

function describe(w: WriteRecord): string {
  return `${w.kind} ${w.key} at step ${w.step} on ${w.replica} (dot ${w.dot?.replica}:${w.dot?.counter})`;
}

function encodeAll(incarnation: Incarnation): Map<string, Uint8Array> {
  const keyspace = incarnation.replica.keyspace;
  const out = new Map<string, Uint8Array>();
  for (const entry of keyspace.entries()) {
    const type = keyspace.registry.get(entry.tag);
    if (type !== undefined) out.set(entry.key, codec.encode(type, entry.state));
  }
  return out;
}

function mvType(incarnation: Incarnation) {
  const type = incarnation.replica.keyspace.registry.get("mv-register");
  if (type === undefined) throw new Error("mv-register is not registered");
  return type as import("@convergent/core").CrdtType<unknown, readonly unknown[]>;
}

function elements(incarnation: Incarnation, key: string): Set<string> {
  const type = incarnation.replica.keyspace.registry.get("or-set");
  if (type === undefined || !incarnation.replica.keyspace.has(key)) return new Set();
  const value = incarnation.replica.keyspace.value(key, type) as ReadonlySet<unknown>;
  return new Set([...value].map(String));
}

const alive = (history: History, w: WriteRecord): Survival => history.survival(w);

/**
 * Per origin replica the counter keeps the running totals of its increments and decrements;
 * the final totals must be the definite writes plus, of each run of uncertain writes (a tail cut
 * by a crash, writes on a lost disk), some prefix.
 */
export function checkCounter(
  state: PnCounterState | undefined,
  history: History,
  key: string,
): string | undefined {
  const byOrigin = new Map<string, WriteRecord[]>();
  for (const w of history.writesTo(key)) {
    const list = byOrigin.get(w.replica) ?? [];
    list.push(w);
    byOrigin.set(w.replica, list);
  }
  for (const origin of state?.keys() ?? []) if (!byOrigin.has(origin)) byOrigin.set(origin, []);
  for (const [origin, writes] of byOrigin) {
    const [inc, dec] = state?.get(origin as never) ?? [0, 0];
    let possible = new Set<string>(["0,0"]);
    let run: WriteRecord[] = [];
    const closeRun = () => {
      const next = new Set<string>();
      for (const p of possible) {
        let [i, d] = p.split(",").map(Number) as [number, number];
        next.add(`${i},${d}`);
        for (const w of run) {
          if (w.amount >= 0) i += w.amount;
          else d -= w.amount;
          next.add(`${i},${d}`);
        }
      }
      possible = next;
      run = [];
    };
    for (const w of writes) {
      const survival = alive(history, w);
      if (survival === "absent") continue;
      if (survival === "maybe") {
        run.push(w);
        continue;
      }
      closeRun();
      possible = new Set(
        [...possible].map((p) => {
          const [i, d] = p.split(",").map(Number) as [number, number];
          return w.amount >= 0 ? `${i + w.amount},${d}` : `${i},${d - w.amount}`;
        }),
      );
      if (possible.size > 50_000) return undefined;
    }
    closeRun();
    if (!possible.has(`${inc},${dec}`)) {
      const sample = [...possible].slice(0, 4).join(" | ");
      return `origin ${origin} holds +${inc}/-${dec}; the history allows ${sample}${possible.size > 4 ? " ..." : ""}`;
    }
  }
  return undefined;
}

/** Add-wins: present iff some surviving add was not observed by a surviving remove. */
export function checkAddWins(
  final: ReadonlySet<string>,
  history: History,
  key: string,
): string | undefined {
  const writes = history.writesTo(key);
  const names = new Set(writes.map((w) => w.element));
  for (const e of final) names.add(e);
  for (const element of names) {
    const adds = writes.filter((w) => w.kind === "set-add" && w.element === element);
    const removes = writes.filter((w) => w.kind === "set-remove" && w.element === element);
    const observedBy = (a: WriteRecord, which: (s: Survival) => boolean) =>
      removes.some(
        (r) =>
          which(alive(history, r)) &&
          r.observed !== undefined &&
          a.dot !== undefined &&
          containsDot(r.observed, a.dot),
      );
    const mustBePresent = adds.some(
      (a) => alive(history, a) === "definite" && !observedBy(a, (s) => s !== "absent"),
    );
    const mustBeAbsent = adds.every(
      (a) => alive(history, a) === "absent" || observedBy(a, (s) => s === "definite"),
    );
    if (mustBePresent && !final.has(element))
      return `${element} was removed, yet an add it never observed survives`;
    if (mustBeAbsent && final.has(element))
      return `${element} is present, yet every add of it was removed`;
  }
  return undefined;
}

/** Adds only: every definite add present, nothing present that no add could explain. */
export function checkGrowOnly(
  final: ReadonlySet<string>,
  history: History,
  key: string,
): string | undefined {
  const possible = new Set<string>();
  for (const w of history.writesTo(key)) {
    const survival = alive(history, w);
    if (survival !== "absent") possible.add(w.element);
    if (survival === "definite" && !final.has(w.element)) return `${describe(w)} is missing`;
  }
  for (const e of final) if (!possible.has(e)) return `${e} was never added (or its add was cut)`;
  return undefined;
}

/** LWW: the entry of a surviving write, and none of the definite writes above it. */
export function checkLww(
  final: LwwEntry | undefined,
  history: History,
  key: string,
): string | undefined {
  const writes = history
    .writesTo(key)
    .filter((w) => w.entry !== undefined && alive(history, w) !== "absent");
  if (final === undefined) {
    const lost = writes.find((w) => alive(history, w) === "definite");
    return lost === undefined ? undefined : `empty, yet ${describe(lost)} survives`;
  }
  const source = writes.find((w) => compareEntries(w.entry as LwwEntry, final) === 0);
  if (source === undefined)
    return `holds ${JSON.stringify(final)}, which no surviving write produced`;
  const above = writes.find(
    (w) => alive(history, w) === "definite" && compareEntries(w.entry as LwwEntry, final) > 0,
  );
  if (above !== undefined) return `holds ${describe(source)}, below ${describe(above)}`;
  return undefined;
}

/** MV: exactly the surviving writes that no surviving write observed (the concurrent maxima). */
export function checkMv(
  final: readonly string[],
  history: History,
  key: string,
): string | undefined {
  const writes = history.writesTo(key).filter((w) => alive(history, w) !== "absent");
  const dominated = (w: WriteRecord, by: (s: Survival) => boolean) =>
    writes.some(
      (v) =>
        v !== w &&
        by(alive(history, v)) &&
        v.observed !== undefined &&
        w.dot !== undefined &&
        containsDot(v.observed, w.dot),
    );
  const shown = new Set(final);
  for (const w of writes) {
    if (alive(history, w) === "definite" && !dominated(w, () => true) && !shown.has(w.element)) {
      return `${describe(w)} is a maximum but not a sibling`;
    }
  }
  const allowed = new Set(
    writes.filter((w) => !dominated(w, (s) => s === "definite")).map((w) => w.element),
  );
  for (const value of final)
    if (!allowed.has(value)) return `sibling ${value} was overwritten or never written`;
  return undefined;
}
