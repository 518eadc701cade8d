import { HybridLogicalClock, replicaId } from "@convergent/clocks";
import { LocalReplica } from "@convergent/core";
import { type LwwMapState, lwwMap, setKey } from "@convergent/lww-register";
import { medianMs, type Suite } from "../harness.js";
import { automergeLwwMap } from "../peers/automerge.js";
import type { WorkloadFigures } from "../peers/figures.js";
import { loroLwwMap } from "../peers/loro.js";
import { yjsLwwMap } from "../peers/yjs.js";
import { encodedBytes } from "./encoded-bytes.js";
import { figureRows } from "./peer-rows.js";

const SAMPLES = 3;

/** 3 replicas each set every key of a `keys`-key map to a 16-byte value, then merge into one. */
function convergentLwwMap(keys: number): WorkloadFigures {
  const names = Array.from({ length: keys }, (_, i) => `key-${i}`);
  const build = () =>
    ["a", "b", "c"].map((name, r) => {
      const id = replicaId(name);
      const clock = new HybridLogicalClock(id);
      const replica = new LocalReplica(lwwMap, id);
      const value = new Uint8Array(16).fill(r + 1);
      for (const key of names) replica.update((s) => setKey(s, clock, key, value));
      return replica.state;
    });
  const applyMs = medianMs(SAMPLES, () => undefined, build);
  const mergeMs = medianMs(SAMPLES, build, ([a, b, c]) => {
    const target = a as LwwMapState;
    lwwMap.joinInto(target, b as LwwMapState);
    lwwMap.joinInto(target, c as LwwMapState);
  });
  const [a, b, c] = build() as [LwwMapState, LwwMapState, LwwMapState];
  const merged = lwwMap.join(lwwMap.join(a, b), c);
  return {
    opsPerSecond: (keys * 3) / (applyMs / 1000),
    mergeMs,
    encodedBytes: encodedBytes(lwwMap, merged),
  };
}

export const lwwMapSuite: Suite = async ({ scale }) => {
  const keys = Math.round(100_000 * scale);
  const workload = `LWW map of ${keys.toLocaleString("en-US")} keys written by 3 replicas, then merge`;
  return [
    ...figureRows("lww map", workload, "convergent lww-map", convergentLwwMap(keys)),
    ...figureRows("lww map", workload, "yjs Y.Map", yjsLwwMap(keys, SAMPLES)),
    ...figureRows("lww map", workload, "loro LoroMap", loroLwwMap(keys, 1)),
    ...figureRows("lww map", workload, "automerge map", automergeLwwMap(keys, 1)),
  ];
};
