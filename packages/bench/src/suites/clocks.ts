import {
  compare,
  HybridLogicalClock,
  merge,
  type ReplicaId,
  replicaId,
  type VersionVector,
} from "@convergent/clocks";
import { microbench, type Result, type Suite } from "../harness.js";

function vector(entries: number, offset: number): VersionVector {
  const v = new Map<ReplicaId, number>();
  for (let i = 0; i < entries; i++)
    v.set(replicaId(`replica-${i}`), 1000 + ((i * 7 + offset) % 13));
  return v;
}

export const clocksSuite: Suite = async (options) => {
  const clock = new HybridLogicalClock(replicaId("bench"));
  const tasks: Record<string, () => void> = { "HLC now()": () => clock.now() };
  for (const size of [8, 256]) {
    const a = vector(size, 0);
    const b = vector(size, 5);
    tasks[`version vector compare (${size} entries)`] = () => compare(a, b);
    tasks[`version vector merge (${size} entries)`] = () => merge(a, b);
  }
  const measured = await microbench(tasks, options);
  const results: Result[] = [];
  for (const [workload, { medianNs, opsPerSecond }] of measured) {
    results.push(
      {
        suite: "clocks",
        workload,
        implementation: "convergent",
        metric: "ops/s",
        value: opsPerSecond,
        unit: "ops/s",
      },
      {
        suite: "clocks",
        workload,
        implementation: "convergent",
        metric: "median latency",
        value: medianNs,
        unit: "ns",
      },
    );
  }
  return results;
};
