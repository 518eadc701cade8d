import { LoroDoc } from "loro-crdt";
import { medianMs } from "../harness.js";
import { batched, type WorkloadFigures } from "./figures.js";

function docs(count: number): LoroDoc[] {
  return Array.from({ length: count }, (_, i) => {
    const doc = new LoroDoc();
    doc.setPeerId(BigInt(i + 1));
    return doc;
  });
}

function mergeAll(target: LoroDoc, others: readonly LoroDoc[]): void {
  for (const other of others) target.import(other.export({ mode: "update" }));
}

export function loroCounters(increments: number, samples: number): WorkloadFigures {
  const perReplica = Math.floor(increments / 3);
  const run = () => {
    const replicas = docs(3);
    for (const doc of replicas) {
      const counter = doc.getCounter("counter");
      batched(
        perReplica,
        (f) => {
          f();
          doc.commit();
        },
        () => counter.increment(1),
      );
    }
    return replicas;
  };
  const applyMs = medianMs(samples, () => undefined, run);
  const mergeMs = medianMs(samples, run, ([a, ...rest]) => mergeAll(a as LoroDoc, rest));
  const [a, ...rest] = run();
  mergeAll(a as LoroDoc, rest);
  return {
    opsPerSecond: (perReplica * 3) / (applyMs / 1000),
    mergeMs,
    encodedBytes: (a as LoroDoc).export({ mode: "snapshot" }).length,
  };
}

/** Loro has no set type; a LoroMap of element -> true is the closest (and is last-writer-wins). */
export function loroSet(
  adds: number,
  removes: number,
  concurrentAdds: number,
  samples: number,
): WorkloadFigures {
  const build = () => {
    const [a, b] = docs(2) as [LoroDoc, LoroDoc];
    const setA = a.getMap("set");
    batched(
      adds,
      (f) => {
        f();
        a.commit();
      },
      (i) => setA.set(`element-${i}`, true),
    );
    batched(
      removes,
      (f) => {
        f();
        a.commit();
      },
      (i) => setA.delete(`element-${i * 2}`),
    );
    const setB = b.getMap("set");
    batched(
      concurrentAdds,
      (f) => {
        f();
        b.commit();
      },
      (i) => setB.set(`other-${i}`, true),
    );
    return [a, b] as const;
  };
  const applyMs = medianMs(samples, () => undefined, build);
  const mergeMs = medianMs(samples, build, ([a, b]) => mergeAll(a, [b]));
  const [merged, other] = build();
  mergeAll(merged, [other]);
  return {
    opsPerSecond: (adds + removes + concurrentAdds) / (applyMs / 1000),
    mergeMs,
    encodedBytes: merged.export({ mode: "snapshot" }).length,
    note: "heap not comparable: Loro keeps its state in WebAssembly memory",
  };
}

export function loroLwwMap(keys: number, samples: number): WorkloadFigures {
  const build = () => {
    const replicas = docs(3);
    replicas.forEach((doc, r) => {
      const map = doc.getMap("map");
      const value = new Uint8Array(16).fill(r + 1);
      batched(
        keys,
        (f) => {
          f();
          doc.commit();
        },
        (i) => map.set(`key-${i}`, value),
      );
    });
    return replicas;
  };
  const applyMs = medianMs(samples, () => undefined, build);
  const mergeMs = medianMs(samples, build, ([a, ...rest]) => mergeAll(a as LoroDoc, rest));
  const [a, ...rest] = build();
  mergeAll(a as LoroDoc, rest);
  return {
    opsPerSecond: (keys * 3) / (applyMs / 1000),
    mergeMs,
    encodedBytes: (a as LoroDoc).export({ mode: "snapshot" }).length,
  };
}
