import * as Y from "yjs";
import { medianMs, retainedHeapBytes } from "../harness.js";
import { batched, type WorkloadFigures } from "./figures.js";

function docs(count: number): Y.Doc[] {
  return Array.from({ length: count }, (_, i) => {
    const doc = new Y.Doc();
    doc.clientID = i + 1;
    return doc;
  });
}

function mergeAll(target: Y.Doc, others: readonly Y.Doc[]): void {
  for (const other of others) Y.applyUpdate(target, Y.encodeStateAsUpdate(other));
}

/** A counter emulated the usual Yjs way: each client writes its own running total under its id. */
export function yjsCounters(increments: number, samples: number): WorkloadFigures {
  const perReplica = Math.floor(increments / 3);
  const run = () => {
    const replicas = docs(3);
    for (const doc of replicas) {
      const map = doc.getMap<number>("counter");
      const key = String(doc.clientID);
      let total = 0;
      batched(
        perReplica,
        (f) => doc.transact(f),
        () => {
          total += 1;
          map.set(key, total);
        },
      );
    }
    return replicas;
  };
  const applyMs = medianMs(samples, () => undefined, run);
  const mergeMs = medianMs(samples, run, ([a, ...rest]) => mergeAll(a as Y.Doc, rest));
  const [a, ...rest] = run();
  mergeAll(a as Y.Doc, rest);
  return {
    opsPerSecond: (perReplica * 3) / (applyMs / 1000),
    mergeMs,
    encodedBytes: Y.encodeStateAsUpdate(a as Y.Doc).length,
  };
}

/** An add-wins set emulated by a Y.Map of element -> true (Y.Map is last-writer-wins per key). */
export function yjsSet(
  adds: number,
  removes: number,
  concurrentAdds: number,
  samples: number,
): WorkloadFigures {
  const build = () => {
    const [a, b] = docs(2) as [Y.Doc, Y.Doc];
    const setA = a.getMap<boolean>("set");
    batched(
      adds,
      (f) => a.transact(f),
      (i) => setA.set(`element-${i}`, true),
    );
    batched(
      removes,
      (f) => a.transact(f),
      (i) => setA.delete(`element-${i * 2}`),
    );
    const setB = b.getMap<boolean>("set");
    batched(
      concurrentAdds,
      (f) => b.transact(f),
      (i) => setB.set(`other-${i}`, true),
    );
    return [a, b] as const;
  };
  const applyMs = medianMs(samples, () => undefined, build);
  const mergeMs = medianMs(samples, build, ([a, b]) => mergeAll(a, [b]));
  let merged: Y.Doc | undefined;
  const heap = retainedHeapBytes(() => {
    const [a, b] = build();
    mergeAll(a, [b]);
    b.destroy();
    merged = a;
    return a;
  });
  const live = (merged as Y.Doc).getMap("set").size;
  return {
    opsPerSecond: (adds + removes + concurrentAdds) / (applyMs / 1000),
    mergeMs,
    encodedBytes: Y.encodeStateAsUpdate(merged as Y.Doc).length,
    heapBytesPerElement: heap / live,
  };
}

/** 3 replicas each set every key of a `keys`-key map (16-byte values), then sync into one. */
export function yjsLwwMap(keys: number, samples: number): WorkloadFigures {
  const names = Array.from({ length: keys }, (_, i) => `key-${i}`);
  const build = () => {
    const replicas = docs(3);
    for (const doc of replicas) {
      const map = doc.getMap<Uint8Array>("map");
      const value = new Uint8Array(16).fill(doc.clientID);
      batched(
        keys,
        (f) => doc.transact(f),
        (i) => map.set(names[i] as string, value),
      );
    }
    return replicas;
  };
  const applyMs = medianMs(samples, () => undefined, build);
  const mergeMs = medianMs(samples, build, ([a, ...rest]) => mergeAll(a as Y.Doc, rest));
  const [a, ...rest] = build();
  mergeAll(a as Y.Doc, rest);
  return {
    opsPerSecond: (keys * 3) / (applyMs / 1000),
    mergeMs,
    encodedBytes: Y.encodeStateAsUpdate(a as Y.Doc).length,
  };
}
