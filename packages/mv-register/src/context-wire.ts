import {
  addDotInPlace,
  type CausalContext,
  causalContextToEntries,
  type MutableCausalContext,
  type ReplicaId,
} from "@convergent/clocks";
import { DecodeError, type WirePlain, type WireReader, type WireWriter } from "@convergent/core";
import { entryBudget, expectArray, expectCounter, expectTuple } from "./wire-checks.js";

/**
 * A causal context as two positional fields: `[[replica, counter], ...]` for the version vector
 * and `[[replica, [counter, ...]], ...]` for the cloud, both sorted by replica id, counters
 * ascending. The context is kept compacted, so equal dot sets give identical output.
 */
export function contextToWire(
  context: CausalContext,
  writer: WireWriter,
): [WirePlain[], WirePlain[]] {
  const entries = causalContextToEntries(context);
  const vector = entries.versionVector.map(([replica, counter]) => [
    writer.replica(replica),
    counter,
  ]);
  const cloud = entries.cloud.map(([replica, counters]) => [writer.replica(replica), counters]);
  return [vector, cloud];
}

/**
 * Rebuilds a context. Duplicate replicas or counters are rejected; order and compaction are not
 * required, since the result is compacted into the canonical form of its dot set anyway.
 */
export function contextFromWire(
  vectorPlain: unknown,
  cloudPlain: unknown,
  reader: WireReader,
): MutableCausalContext {
  const { maxEntries } = reader.limits;
  const versionVector = new Map<ReplicaId, number>();
  for (const entry of expectArray(vectorPlain, "version vector", maxEntries)) {
    const [replicaPlain, counterPlain] = expectTuple(entry, 2, "version vector entry");
    const replica = reader.replica(replicaPlain);
    if (versionVector.has(replica)) {
      throw new DecodeError("MALFORMED", `replica ${replica} appears twice in the version vector`);
    }
    versionVector.set(replica, expectCounter(counterPlain, "version vector counter"));
  }

  const context: MutableCausalContext = { versionVector, cloud: new Map() };
  const countCloudDots = entryBudget(reader.limits, "causal context cloud");
  const cloudReplicas = new Set<ReplicaId>();
  for (const entry of expectArray(cloudPlain, "causal context cloud", maxEntries)) {
    const [replicaPlain, countersPlain] = expectTuple(entry, 2, "cloud entry");
    const replica = reader.replica(replicaPlain);
    if (cloudReplicas.has(replica)) {
      throw new DecodeError("MALFORMED", `replica ${replica} appears twice in the cloud`);
    }
    cloudReplicas.add(replica);
    const counters = expectArray(countersPlain, "cloud counters", maxEntries);
    countCloudDots(counters.length);
    const seen = new Set<number>();
    for (const counterPlain of counters) {
      const counter = expectCounter(counterPlain, "cloud counter");
      if (seen.has(counter)) {
        throw new DecodeError("MALFORMED", `dot ${counter}@${replica} appears twice in the cloud`);
      }
      seen.add(counter);
      addDotInPlace(context, { replica, counter });
    }
  }
  return context;
}
