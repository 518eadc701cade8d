/**
 * The checks run once every replica agrees: (1) byte-identical canonical states (the embedded
 * presence included) and the same listed keys, (2) every durably acknowledged write present,
 * (4) causality in the final views, and (5) every key and OR-Map field as the history allows:
 * it exists iff some update to it was observed by no delete or remove covering it, and its
 * value is its type's specification over the updates no delete observed.
 */

import { containsDot } from "@convergent/clocks";
import { createCodec } from "@convergent/codec";
import type { PlainValue } from "@convergent/core";
import { compareEntries, type LwwEntry, lwwRegister } from "@convergent/lww-register";
import { mvRegister } from "@convergent/mv-register";
import { type Embedded, isPresent, type OrMapState } from "@convergent/or-map";
import { orSet } from "@convergent/or-set";
import { type PnCounterState, pnCounter } from "@convergent/pn-counter";
import { bytesEqual } from "./bytes.js";
import type { CausalTracker } from "./causal.js";
import type { Incarnation } from "./cluster.js";
import type { History, Survival, WriteRecord } from "./history.js";
import { embeddedAt, segmentTag } from "./nodes.js";
import { COUNTER, keyText, MAP, MV, REGISTER, SET } from "./schedule.js";
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
        add(
          "1-convergence",
          `key ${keyText(key)}: ${first.id} and ${other.id} hold different states`,
        );
      }
    }
    const listed = JSON.stringify(other.replica.list());
    if (listed !== JSON.stringify(first.replica.list())) {
      add("1-convergence", `${first.id} and ${other.id} list different keys`);
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

  // (5) Every key and field against the history, on the first replica (the others hold the
  // same bytes).
  const writes = history.writes.filter((w) => w.dot !== undefined);
  for (const node of nodesOf(first, writes)) {
    const problem = checkNode(first, node, writes, history);
    if (problem !== undefined) {
      const where = [keyText(node.key), ...node.path.map(keyText)].join(" / ");
      add("5-sequential-spec", `${where}: ${problem}`);
    }
  }
  return out;
}

/** A key (path empty) or an OR-Map field below it. */
export interface Node {
  readonly key: string;
  readonly path: readonly string[];
}

const isPrefix = (prefix: readonly string[], path: readonly string[]) =>
  prefix.length <= path.length && prefix.every((seg, i) => path[i] === seg);

/** Every key and field the history wrote or the replica holds. */
function nodesOf(incarnation: Incarnation, writes: readonly WriteRecord[]): Node[] {
  const nodes = new Map<string, Node>();
  const note = (key: string, path: readonly string[]) => {
    for (let i = 0; i <= path.length; i++) {
      const prefix = path.slice(0, i);
      nodes.set([key, ...prefix].join("/"), { key, path: prefix });
    }
  };
  for (const w of writes) note(w.key, w.path);
  const walk = (key: string, path: readonly string[], entry: Embedded<unknown>) => {
    note(key, path);
    const tag = path.length === 0 ? segmentTag(key) : segmentTag(path.at(-1) as string);
    if (tag !== MAP) return;
    for (const [name, tags] of entry.state as OrMapState) {
      for (const [fieldTag, field] of tags) walk(key, [...path, `${name}\u0000${fieldTag}`], field);
    }
  };
  for (const { key, state } of incarnation.replica.keyspace.entries()) {
    walk(key, [], state as Embedded<unknown>);
  }
  return [...nodes.values()];
}

/**
 * One key or field: it exists iff some update through it survives uncovered (an update covered
 * by a delete or remove at it or above it, whose replica had observed the update, is undone),
 * and its value is its type's specification over the uncovered updates at it.
 */
export function checkNode(
  incarnation: Incarnation,
  node: Node,
  writes: readonly WriteRecord[],
  history: History,
): string | undefined {
  const survival = (w: WriteRecord) => history.survival(w);
  const depth = node.path.length;
  const below = writes.filter((w) => w.key === node.key && isPrefix(node.path, w.path));
  const updates = below.filter((w) => !(w.remove && w.path.length === depth));
  const removers = writes.filter(
    (w) => w.remove && w.key === node.key && isPrefix(w.path, node.path),
  );
  const entry = embeddedAt(incarnation.replica, node.key, node.path);
  const problem = checkExists(entry !== undefined && isPresent(entry), updates, removers, survival);
  if (problem !== undefined) return problem;
  const tag = depth === 0 ? segmentTag(node.key) : segmentTag(node.path.at(-1) as string);
  const here = updates.filter((w) => w.path.length === depth);
  switch (tag) {
    case COUNTER: {
      const state = (entry?.state ?? pnCounter.empty()) as PnCounterState;
      const counts = here.filter((w) => w.kind === "counter" || w.kind === "session-increment");
      return (
        checkCounter(state, counts, survival) ??
        checkCounterValue(pnCounter.value(state), counts, removers, survival)
      );
    }
    case SET: {
      const value = entry === undefined ? new Set<unknown>() : orSet.value(entry.state as never);
      return checkAddWins(new Set([...value].map(String)), here, removers, survival);
    }
    case REGISTER: {
      const value = entry === undefined ? undefined : lwwRegister.value(entry.state as never);
      return checkLww(value, here, removers, survival);
    }
    case MV: {
      const value = entry === undefined ? [] : mvRegister.value(entry.state as never);
      return checkMv(value.map(String), here, removers, survival);
    }
    default:
      return undefined; // a map: its fields are nodes of their own
  }
}

type SurvivalOf = (w: WriteRecord) => Survival;

/** True when some remover whose survival passes `which` had observed `w`. */
function covered(
  w: WriteRecord,
  removers: readonly WriteRecord[],
  survival: SurvivalOf,
  which: (s: Survival) => boolean,
): boolean {
  return removers.some(
    (r) =>
      r !== w &&
      which(survival(r)) &&
      r.observed !== undefined &&
      w.dot !== undefined &&
      containsDot(r.observed, w.dot),
  );
}

const definite = (s: Survival) => s === "definite";
const possible = (s: Survival) => s !== "absent";

/** Exists iff some surviving update was observed by no surviving delete or remove above it. */
export function checkExists(
  exists: boolean,
  updates: readonly WriteRecord[],
  removers: readonly WriteRecord[],
  survival: SurvivalOf,
): string | undefined {
  const live = updates.find(
    (w) => survival(w) === "definite" && !covered(w, removers, survival, possible),
  );
  if (!exists && live !== undefined)
    return `deleted, yet ${describe(live)} no delete observed survives`;
  const mayLive = updates.some(
    (w) => survival(w) !== "absent" && !covered(w, removers, survival, definite),
  );
  if (exists && !mayLive) return "exists, yet every update of it was deleted or cut";
  return undefined;
}

/**
 * The value of a counter is the sum of the surviving increments and decrements that no
 * surviving delete observed (a delete floors exactly what its replica had seen); writes that
 * may or may not survive, or may or may not be covered, widen it to a range.
 */
export function checkCounterValue(
  final: number,
  writes: readonly WriteRecord[],
  removers: readonly WriteRecord[],
  survival: SurvivalOf,
): string | undefined {
  let low = 0;
  let high = 0;
  for (const w of writes) {
    const s = survival(w);
    if (s === "absent" || covered(w, removers, survival, definite)) continue;
    if (s === "definite" && !covered(w, removers, survival, possible)) {
      low += w.amount;
      high += w.amount;
    } else if (w.amount > 0) high += w.amount;
    else low += w.amount;
  }
  if (final >= low && final <= high) return undefined;
  return `reads ${final}; the increments no delete observed sum to ${low === high ? low : `${low}..${high}`}`;
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
  const where = [keyText(w.key), ...w.path.map(keyText)].join(" / ");
  return `${w.kind} ${where} at step ${w.step} on ${w.replica} (dot ${w.dot?.replica}:${w.dot?.counter})`;
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

/**
 * Per origin replica the counter keeps the running totals of its increments and decrements
 * (deletes only raise floors); the final totals must be the definite writes plus, of each run
 * of uncertain writes (a tail cut by a crash, writes on a lost disk), some prefix.
 */
export function checkCounter(
  state: PnCounterState | undefined,
  writes: readonly WriteRecord[],
  survival: SurvivalOf,
): string | undefined {
  const byOrigin = new Map<string, WriteRecord[]>();
  for (const w of writes) {
    const list = byOrigin.get(w.replica) ?? [];
    list.push(w);
    byOrigin.set(w.replica, list);
  }
  for (const origin of state?.keys() ?? []) if (!byOrigin.has(origin)) byOrigin.set(origin, []);
  for (const [origin, mine] of byOrigin) {
    const [inc, dec] = state?.get(origin as never) ?? [0, 0];
    let possibleTotals = new Set<string>(["0,0"]);
    let run: WriteRecord[] = [];
    const closeRun = () => {
      const next = new Set<string>();
      for (const p of possibleTotals) {
        let [i, d] = p.split(",").map(Number) as [number, number];
        next.add(`${i},${d}`);
        for (const w of run) {
          if (w.amount >= 0) i += w.amount;
          else d -= w.amount;
          next.add(`${i},${d}`);
        }
      }
      possibleTotals = next;
      run = [];
    };
    for (const w of mine) {
      const s = survival(w);
      if (s === "absent") continue;
      if (s === "maybe") {
        run.push(w);
        continue;
      }
      closeRun();
      possibleTotals = new Set(
        [...possibleTotals].map((p) => {
          const [i, d] = p.split(",").map(Number) as [number, number];
          return w.amount >= 0 ? `${i + w.amount},${d}` : `${i},${d - w.amount}`;
        }),
      );
      if (possibleTotals.size > 50_000) return undefined;
    }
    closeRun();
    if (!possibleTotals.has(`${inc},${dec}`)) {
      const sample = [...possibleTotals].slice(0, 4).join(" | ");
      return `origin ${origin} holds +${inc}/-${dec}; the history allows ${sample}${possibleTotals.size > 4 ? " ..." : ""}`;
    }
  }
  return undefined;
}

const ADDS = new Set(["set-add", "causal-add", "session-add"]);

/**
 * Add-wins: an element is present iff some surviving add of it was observed by no surviving
 * remove of it and no surviving delete or remove of the set (`removers`).
 */
export function checkAddWins(
  final: ReadonlySet<string>,
  writes: readonly WriteRecord[],
  removers: readonly WriteRecord[],
  survival: SurvivalOf,
): string | undefined {
  const names = new Set(writes.filter((w) => ADDS.has(w.kind)).map((w) => w.element));
  for (const e of final) names.add(e);
  for (const element of names) {
    const adds = writes.filter((w) => ADDS.has(w.kind) && w.element === element);
    const removes = writes
      .filter((w) => w.kind === "set-remove" && w.element === element)
      .concat(removers);
    const mustBePresent = adds.some(
      (a) => survival(a) === "definite" && !covered(a, removes, survival, possible),
    );
    const mustBeAbsent = adds.every(
      (a) => survival(a) === "absent" || covered(a, removes, survival, definite),
    );
    if (mustBePresent && !final.has(element))
      return `${element} was removed, yet an add no remove or delete observed survives`;
    if (mustBeAbsent && final.has(element))
      return `${element} is present, yet every add of it was removed, deleted or cut`;
  }
  return undefined;
}

/**
 * LWW: the value of the greatest surviving write, or no value when a surviving delete observed
 * that write (its tombstone sits at the write's own timestamp); never the value of a write
 * below a definite one.
 */
export function checkLww(
  final: PlainValue | undefined,
  writes: readonly WriteRecord[],
  removers: readonly WriteRecord[],
  survival: SurvivalOf,
): string | undefined {
  const candidates = writes.filter((w) => w.entry !== undefined && survival(w) !== "absent");
  const above = (w: WriteRecord, than: WriteRecord) =>
    compareEntries(w.entry as LwwEntry, than.entry as LwwEntry) > 0;
  if (final === undefined) {
    const kept = candidates.filter(
      (w) => survival(w) === "definite" && !covered(w, removers, survival, possible),
    );
    const top = kept.reduce<WriteRecord | undefined>(
      (best, w) => (best === undefined || above(w, best) ? w : best),
      undefined,
    );
    if (top === undefined) return undefined;
    const tombstone = candidates.some(
      (c) => above(c, top) && covered(c, removers, survival, possible),
    );
    return tombstone ? undefined : `empty, yet ${describe(top)} survives and no delete observed it`;
  }
  const source = candidates.find((w) => w.element === final);
  if (source === undefined)
    return `holds ${JSON.stringify(final)}, which no surviving write produced`;
  if (covered(source, removers, survival, definite))
    return `holds ${describe(source)}, which a surviving delete observed`;
  const higher = candidates.find((w) => survival(w) === "definite" && above(w, source));
  if (higher !== undefined) return `holds ${describe(source)}, below ${describe(higher)}`;
  return undefined;
}

/**
 * MV: exactly the surviving writes that no surviving write and no surviving delete observed
 * (the concurrent maxima).
 */
export function checkMv(
  final: readonly string[],
  writes: readonly WriteRecord[],
  removers: readonly WriteRecord[],
  survival: SurvivalOf,
): string | undefined {
  const surviving = writes.filter((w) => survival(w) !== "absent");
  const dominators = [...surviving, ...removers];
  const shown = new Set(final);
  for (const w of surviving) {
    if (
      survival(w) === "definite" &&
      !covered(w, dominators, survival, possible) &&
      !shown.has(w.element)
    ) {
      return `${describe(w)} is a maximum but not a sibling`;
    }
  }
  const allowed = new Set(
    surviving.filter((w) => !covered(w, dominators, survival, definite)).map((w) => w.element),
  );
  for (const value of final)
    if (!allowed.has(value)) return `sibling ${value} was overwritten, deleted or never written`;
  return undefined;
}
