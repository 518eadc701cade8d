import * as A from "@automerge/automerge";
import { medianMs } from "../harness.js";
import { BATCH, type WorkloadFigures } from "./figures.js";

// Automerge is orders of magnitude slower on these workloads; it runs a tenth of the size
// (reported in the note) so the whole bench stays within minutes. Rates are per operation.
export const AUTOMERGE_FRACTION = 0.1;

function actor(i: number): string {
  return (i + 1).toString(16).padStart(32, "0");
}

type CounterDoc = { counter: A.Counter };

export function automergeCounters(increments: number, samples: number): WorkloadFigures {
  // Counters are slower still (about 5k increments/s): a hundredth of the workload.
  const perReplica = Math.max(BATCH, Math.floor((increments * AUTOMERGE_FRACTION) / 30));
  const base = A.from<CounterDoc>({ counter: new A.Counter(0) }, { actor: actor(9) });
  const run = () =>
    [0, 1, 2].map((r) => {
      let doc = A.clone(base, { actor: actor(r) });
      for (let start = 0; start < perReplica; start += BATCH) {
        doc = A.change(doc, (d) => {
          for (let i = 0; i < BATCH; i++) d.counter.increment(1);
        });
      }
      return doc;
    });
  const applyMs = medianMs(samples, () => undefined, run);
  const mergeMs = medianMs(samples, run, ([a, ...rest]) => {
    let merged = a as A.Doc<CounterDoc>;
    for (const other of rest) merged = A.merge(merged, other);
  });
  let [merged, ...rest] = run() as [A.Doc<CounterDoc>, ...A.Doc<CounterDoc>[]];
  for (const other of rest) merged = A.merge(merged, other);
  return {
    opsPerSecond: (perReplica * 3) / (applyMs / 1000),
    mergeMs,
    encodedBytes: A.save(merged).length,
    note: `${perReplica * 3} increments`,
  };
}

type SetDoc = { set: Record<string, boolean> };

export function automergeSet(
  adds: number,
  removes: number,
  concurrentAdds: number,
  samples: number,
): WorkloadFigures {
  const n = (x: number) => Math.floor(x * AUTOMERGE_FRACTION);
  const base = A.from<SetDoc>({ set: {} }, { actor: actor(9) });
  const inBatches = (doc: A.Doc<SetDoc>, count: number, op: (d: SetDoc, i: number) => void) => {
    let current = doc;
    for (let start = 0; start < count; start += BATCH) {
      current = A.change(current, (d) => {
        for (let i = start; i < Math.min(count, start + BATCH); i++) op(d, i);
      });
    }
    return current;
  };
  const build = () => {
    let a = A.clone(base, { actor: actor(0) });
    a = inBatches(a, n(adds), (d, i) => {
      d.set[`element-${i}`] = true;
    });
    a = inBatches(a, n(removes), (d, i) => {
      delete d.set[`element-${i * 2}`];
    });
    const b = inBatches(A.clone(base, { actor: actor(1) }), n(concurrentAdds), (d, i) => {
      d.set[`other-${i}`] = true;
    });
    return [a, b] as const;
  };
  const applyMs = medianMs(samples, () => undefined, build);
  const mergeMs = medianMs(samples, build, ([a, b]) => A.merge(a, b));
  const [a, b] = build();
  const merged = A.merge(a, b);
  return {
    opsPerSecond: (n(adds) + n(removes) + n(concurrentAdds)) / (applyMs / 1000),
    mergeMs,
    encodedBytes: A.save(merged).length,
    note: `a tenth of the workload (${n(adds)} adds)`,
  };
}

type MapDoc = { map: Record<string, Uint8Array> };

export function automergeLwwMap(keys: number, samples: number): WorkloadFigures {
  const count = Math.floor(keys * AUTOMERGE_FRACTION);
  const base = A.from<MapDoc>({ map: {} }, { actor: actor(9) });
  const build = () =>
    [0, 1, 2].map((r) => {
      let doc = A.clone(base, { actor: actor(r) });
      const value = new Uint8Array(16).fill(r + 1);
      for (let start = 0; start < count; start += BATCH) {
        doc = A.change(doc, (d) => {
          for (let i = start; i < Math.min(count, start + BATCH); i++) d.map[`key-${i}`] = value;
        });
      }
      return doc;
    });
  const applyMs = medianMs(samples, () => undefined, build);
  const mergeMs = medianMs(samples, build, ([a, ...rest]) => {
    let merged = a as A.Doc<MapDoc>;
    for (const other of rest) merged = A.merge(merged, other);
  });
  let [merged, ...rest] = build() as [A.Doc<MapDoc>, ...A.Doc<MapDoc>[]];
  for (const other of rest) merged = A.merge(merged, other);
  return {
    opsPerSecond: (count * 3) / (applyMs / 1000),
    mergeMs,
    encodedBytes: A.save(merged).length,
    note: `a tenth of the workload (${count} keys)`,
  };
}
