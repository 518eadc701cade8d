/**
 * Waiting for a replica to catch up to a causal context (a session token, or the contexts of
 * the replicas a read found ahead): pull with the fast path from every connected peer, re-pull
 * every 250 ms, and re-check after every change and every applied sync response.
 */
import {
  type CausalContext,
  causalContextIncludes,
  maxCounter,
  type ReplicaId,
} from "@convergent/clocks";
import type { Keyspace, Scheduler, SyncEngine, Unsubscribe } from "@convergent/sync";

export const PULL_INTERVAL_MS = 250;

export interface CatchUpDeps {
  readonly keyspace: Keyspace;
  readonly engine: SyncEngine;
  readonly scheduler: Scheduler;
  readonly peers: () => readonly ReplicaId[];
}

export function catchUp(
  deps: CatchUpDeps,
  target: CausalContext,
  timeoutMs: number,
  timeoutError: () => Error,
): Promise<void> {
  const { keyspace, engine, scheduler } = deps;
  if (causalContextIncludes(keyspace.context, target)) return Promise.resolve();
  // Own dots this replica never issued cannot arrive from anyone: a target claiming them (a
  // forged or foreign session token) fails at once rather than pulling until the timeout.
  if (maxCounter(target, keyspace.replica) > keyspace.issued) return Promise.reject(timeoutError());
  return new Promise<void>((resolve, reject) => {
    const cleanup: Unsubscribe[] = [];
    const done = (error?: Error) => {
      for (const c of cleanup) c();
      if (error === undefined) resolve();
      else reject(error);
    };
    const check = () => {
      if (causalContextIncludes(keyspace.context, target)) done();
    };
    const pull = () => {
      for (const peer of deps.peers()) engine.syncWith(peer);
      const again = scheduler.setTimeout(pull, PULL_INTERVAL_MS);
      cleanup.push(() => scheduler.clearTimeout(again));
    };
    const deadline = scheduler.setTimeout(() => done(timeoutError()), timeoutMs);
    cleanup.push(
      () => scheduler.clearTimeout(deadline),
      keyspace.subscribe(check),
      engine.onSynced(check),
    );
    pull();
  });
}
