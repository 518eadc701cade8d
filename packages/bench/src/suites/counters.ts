import { replicaId } from "@convergent/clocks";
import { LocalReplica } from "@convergent/core";
import { gCounter, increment } from "@convergent/g-counter";
import { medianMs, type Suite } from "../harness.js";
import { automergeCounters } from "../peers/automerge.js";
import type { WorkloadFigures } from "../peers/figures.js";
import { loroCounters } from "../peers/loro.js";
import { yjsCounters } from "../peers/yjs.js";
import { encodedBytes } from "./encoded-bytes.js";
import { figureRows } from "./peer-rows.js";

const SAMPLES = 5;

/** 300k increments spread over 3 replicas, one API call per increment, then a full merge. */
function convergentCounters(increments: number): WorkloadFigures {
  const perReplica = Math.floor(increments / 3);
  const run = () =>
    ["a", "b", "c"].map((name) => {
      const replica = new LocalReplica(gCounter, replicaId(name));
      for (let i = 0; i < perReplica; i++) replica.update((s, r) => increment(s, r, 1));
      return replica;
    });
  const applyMs = medianMs(SAMPLES, () => undefined, run);
  const mergeMs = medianMs(SAMPLES, run, ([a, b, c]) => {
    a?.merge(b?.state ?? gCounter.empty());
    a?.merge(c?.state ?? gCounter.empty());
  });
  const [a, b, c] = run() as [
    LocalReplica<Map<never, number>, number>,
    ...LocalReplica<Map<never, number>, number>[],
  ];
  const merged = gCounter.join(
    gCounter.join(a.state, b?.state ?? new Map()),
    c?.state ?? new Map(),
  );
  if (gCounter.value(merged) !== perReplica * 3) throw new Error("counter bench lost increments");
  return {
    opsPerSecond: (perReplica * 3) / (applyMs / 1000),
    mergeMs,
    encodedBytes: encodedBytes(gCounter, merged),
  };
}

export const countersSuite: Suite = async ({ scale }) => {
  const increments = Math.round(300_000 * scale);
  const workload = `${increments.toLocaleString("en-US")} increments on 3 replicas, then merge`;
  return [
    ...figureRows("counters", workload, "convergent g-counter", convergentCounters(increments)),
    ...figureRows("counters", workload, "yjs (map emulation)", yjsCounters(increments, SAMPLES)),
    ...figureRows("counters", workload, "loro counter", loroCounters(increments, 3)),
    ...figureRows("counters", workload, "automerge counter", automergeCounters(increments, 1)),
  ];
};
