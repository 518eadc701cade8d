import { type Dot, replicaId } from "@convergent/clocks";
import { LocalReplica } from "@convergent/core";
import { add, type OrSetState, orSet, remove, size } from "@convergent/or-set";
import { medianMs, type Result, retainedHeapBytes, type Suite } from "../harness.js";
import { automergeSet } from "../peers/automerge.js";
import type { WorkloadFigures } from "../peers/figures.js";
import { loroSet } from "../peers/loro.js";
import { yjsSet } from "../peers/yjs.js";
import { encodedBytes } from "./encoded-bytes.js";
import { figureRows } from "./peer-rows.js";

const SAMPLES = 5;

interface Workload {
  readonly adds: number;
  readonly removes: number;
  readonly concurrentAdds: number;
}

type SetState = OrSetState<string | number>;

/**
 * Replica A adds `adds` elements and removes every other one of the first 2*removes; replica B
 * concurrently adds `concurrentAdds` others; then A merges B's state. One API call per op.
 */
function build(w: Workload, names: readonly string[], others: readonly string[]) {
  const a = new LocalReplica(orSet, replicaId("a"));
  for (let i = 0; i < w.adds; i++) a.update((s, r) => add(s, r, names[i] as string));
  for (let i = 0; i < w.removes; i++) a.update((s, r) => remove(s, r, names[i * 2] as string));
  const b = new LocalReplica(orSet, replicaId("b"));
  for (let i = 0; i < w.concurrentAdds; i++) b.update((s, r) => add(s, r, others[i] as string));
  return [a, b] as const;
}

function convergentSet(w: Workload): { figures: WorkloadFigures; bareBytesPerElement: number } {
  const names = Array.from({ length: w.adds }, (_, i) => `element-${i}`);
  const others = Array.from({ length: w.concurrentAdds }, (_, i) => `other-${i}`);
  const applyMs = medianMs(
    SAMPLES,
    () => undefined,
    () => build(w, names, others),
  );
  const mergeMs = medianMs(
    SAMPLES,
    () => build(w, names, others),
    ([a, b]) => a.merge(b.state),
  );
  let merged: SetState | undefined;
  const heap = retainedHeapBytes(() => {
    // Fresh strings, so the element bytes are counted here and not shared with `names`.
    const fresh = names.map((n) => `${n}`.split("").join(""));
    const freshOthers = others.map((n) => `${n}`.split("").join(""));
    const [a, b] = build(w, fresh, freshOthers);
    a.merge(b.state);
    merged = a.state;
    return merged;
  });
  const state = merged as SetState;
  const live = size(state);
  if (live !== w.adds - w.removes + w.concurrentAdds) throw new Error("or-set bench lost elements");
  // The floor the issue compares against: each live element as a bare string plus one dot.
  const bare = retainedHeapBytes(() => {
    const elements: string[] = [];
    const dots: Dot[] = [];
    const replica = replicaId("a");
    for (let i = 0; i < live; i++) {
      elements.push(`element-${i}`.split("").join(""));
      dots.push({ replica, counter: i + 1 });
    }
    return [elements, dots];
  });
  return {
    figures: {
      opsPerSecond: (w.adds + w.removes + w.concurrentAdds) / (applyMs / 1000),
      mergeMs,
      encodedBytes: encodedBytes(orSet, state),
      heapBytesPerElement: heap / live,
    },
    bareBytesPerElement: bare / live,
  };
}

export const orSetSuite: Suite = async ({ scale }) => {
  const w: Workload = {
    adds: Math.round(100_000 * scale),
    removes: Math.round(50_000 * scale),
    concurrentAdds: Math.round(100_000 * scale),
  };
  const workload = `${w.adds.toLocaleString("en-US")} adds, ${w.removes.toLocaleString("en-US")} removes, ${w.concurrentAdds.toLocaleString("en-US")} concurrent adds, merge`;
  const ours = convergentSet(w);
  const floor: Result = {
    suite: "or-set",
    workload,
    implementation: "convergent or-set",
    metric: "heap / (bare element + one dot)",
    value: (ours.figures.heapBytesPerElement ?? 0) / ours.bareBytesPerElement,
    unit: "ratio",
  };
  return [
    ...figureRows("or-set", workload, "convergent or-set", ours.figures),
    floor,
    ...figureRows(
      "or-set",
      workload,
      "yjs (Y.Map emulation)",
      yjsSet(w.adds, w.removes, w.concurrentAdds, 3),
    ),
    ...figureRows(
      "or-set",
      workload,
      "loro (LoroMap emulation)",
      loroSet(w.adds, w.removes, w.concurrentAdds, 1),
    ),
    ...figureRows(
      "or-set",
      workload,
      "automerge (map emulation)",
      automergeSet(w.adds, w.removes, w.concurrentAdds, 1),
    ),
  ];
};
