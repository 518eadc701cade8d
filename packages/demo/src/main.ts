/**
 * The README's main demo. Three simulated replicas exchange messages; every event is stamped
 * with a version vector and a hybrid logical clock, and the demo shows what each clock can and
 * cannot tell about causality. It grows into the full replicated-store story as packages land.
 */
import {
  compare,
  emptyVersionVector,
  type HlcTimestamp,
  HybridLogicalClock,
  hlcToString,
  increment,
  merge,
  type ReplicaId,
  replicaId,
  toEntries,
  type VersionVector,
} from "@convergent/clocks";

interface Replica {
  readonly id: ReplicaId;
  readonly hlc: HybridLogicalClock;
  vector: VersionVector;
}

interface StampedEvent {
  readonly label: string;
  readonly vector: VersionVector;
  readonly hlc: HlcTimestamp;
}

// Simulated physical clocks: B runs 40 ms behind A, C runs 25 ms ahead, all tick 10 ms per step.
let step = 0;
const offsets: Record<string, number> = { A: 0, B: -40, C: 25 };
const startMs = Date.UTC(2026, 10, 25, 12, 0, 0);

function makeReplica(name: string): Replica {
  const id = replicaId(name);
  return {
    id,
    hlc: new HybridLogicalClock(id, {
      physicalTime: () => startMs + step * 10 + (offsets[name] ?? 0),
    }),
    vector: emptyVersionVector(),
  };
}

function local(replica: Replica, label: string): StampedEvent {
  step += 1;
  replica.vector = increment(replica.vector, replica.id);
  return { label, vector: replica.vector, hlc: replica.hlc.now() };
}

function receive(replica: Replica, message: StampedEvent, label: string): StampedEvent {
  step += 1;
  replica.vector = increment(merge(replica.vector, message.vector), replica.id);
  return { label, vector: replica.vector, hlc: replica.hlc.receive(message.hlc) };
}

const show = (v: VersionVector) =>
  `{${toEntries(v)
    .map(([r, n]) => `${r}:${n}`)
    .join(", ")}}`;

const a = makeReplica("A");
const b = makeReplica("B");
const c = makeReplica("C");
const events: StampedEvent[] = [];
const log = (e: StampedEvent) => {
  events.push(e);
  console.log(`  ${e.label.padEnd(34)} vv=${show(e.vector).padEnd(14)} hlc=${hlcToString(e.hlc)}`);
};

console.log("Convergent demo: causality between three replicas (A, B 40 ms slow, C 25 ms fast)\n");
const a1 = local(a, "A writes x");
log(a1);
log(receive(b, a1, "B receives A's write"));
const b2 = local(b, "B writes y (after seeing x)");
log(b2);
const c1 = local(c, "C writes z (has seen nothing)");
log(c1);
log(receive(c, b2, "C receives B's write"));
log(local(a, "A writes w (has not seen y or z)"));

console.log("\nWhat the version vectors say (exact causality):");
for (const [i, j] of [
  [0, 2],
  [2, 3],
  [3, 5],
  [0, 4],
] as const) {
  const x = events[i] as StampedEvent;
  const y = events[j] as StampedEvent;
  const order = compare(x.vector, y.vector);
  const words =
    order === "before" ? "happened before" : order === "after" ? "happened after" : order;
  console.log(`  "${x.label}" ${words} "${y.label}"`);
}
console.log(
  "\nWhat the HLC says: a total order that respects every happens-before above, stays within\n" +
    "the drift bound of physical time, and cannot tell concurrent events apart from ordered ones.",
);
const sorted = [...events].sort((x, y) => (hlcToString(x.hlc) < hlcToString(y.hlc) ? -1 : 1));
for (const e of sorted) console.log(`  ${hlcToString(e.hlc)}  ${e.label}`);
