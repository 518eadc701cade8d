/**
 * The fast path, push-pull delta sync by causal context: each side sends a SyncRequest with its
 * keyspace context; each answers the other's request with the keys holding a dot the requester
 * lacks and its own context. When both start at once, one round trip moves both directions.
 */
import {
  type CausalContext,
  cloneCausalContext,
  containsDot,
  emptyCausalContext,
  type MutableCausalContext,
  type ReplicaId,
} from "@convergent/clocks";
import type { Keyspace } from "../keyspace/keyspace.js";
import type { SyncRequest, SyncResponse } from "./messages.js";

export function syncRequest(keyspace: Keyspace): SyncRequest {
  // A snapshot: the keyspace's context is live and keeps growing after the request is built.
  return { kind: "sync-request", context: cloneCausalContext(keyspace.context) };
}

/** The entries `request`'s sender has not seen, found through the index in O(d). */
export function answerSyncRequest(keyspace: Keyspace, request: SyncRequest): SyncResponse {
  return {
    kind: "sync-response",
    context: contextBeyond(keyspace.context, request.context),
    entries: keyspace.missing(request.context),
  };
}

/**
 * The part of `mine` that `theirs` lacks: vector entries above theirs and cloud dots they have
 * not seen. The requester joins it after the entries, which is all it could gain from the whole
 * context (what it omits is already in the requester's), and it keeps responses small.
 */
export function contextBeyond(mine: CausalContext, theirs: CausalContext): MutableCausalContext {
  const result = emptyCausalContext();
  for (const [replica, counter] of mine.versionVector) {
    if (counter > (theirs.versionVector.get(replica) ?? 0))
      result.versionVector.set(replica, counter);
  }
  for (const [replica, counters] of mine.cloud) {
    const unseen = new Set<number>();
    for (const counter of counters)
      if (!containsDot(theirs, { replica, counter })) unseen.add(counter);
    if (unseen.size > 0) result.cloud.set(replica, unseen);
  }
  return result;
}

/** Applies a response atomically; returns the keys whose state changed. */
export function applySyncResponse(
  keyspace: Keyspace,
  response: SyncResponse,
  sender?: ReplicaId,
): string[] {
  return keyspace.applyRemote(
    response.entries,
    response.context,
    sender === undefined ? {} : { sender },
  );
}
