/**
 * Read repair (as in Dynamo and Cassandra): after reading one key from several replicas, join
 * what they returned and tell which replicas were stale, so the caller can push the join to them
 * (for instance with `SyncEngine.push`). Any state at or below the join is stale if it differs.
 */
import type { ReplicaId } from "@convergent/clocks";
import type { CrdtType } from "@convergent/core";
import { InvalidArgumentError } from "@convergent/core";

export interface ReadRepairResult<S> {
  readonly joined: S;
  /** Replicas whose state differs from the join, in the order given. */
  readonly stale: readonly ReplicaId[];
}

export function readRepair<S, V>(
  type: CrdtType<S, V>,
  responses: ReadonlyArray<{ readonly replica: ReplicaId; readonly state: S }>,
): ReadRepairResult<S> {
  const first = responses[0];
  if (first === undefined)
    throw new InvalidArgumentError("read repair needs at least one response");
  const joined = type.clone(first.state);
  for (let i = 1; i < responses.length; i++)
    type.joinInto(joined, (responses[i] as { state: S }).state);
  const stale = responses.filter((r) => !type.equals(r.state, joined)).map((r) => r.replica);
  return { joined, stale };
}
