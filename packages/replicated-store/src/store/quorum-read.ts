/**
 * A read at R > 1: ask every connected peer for the key (its deletes included), take the
 * first R - 1 answers, join them with the local state (read repair names the stale replicas,
 * which get the join pushed). With causal delivery the local replica does not take the key
 * alone out of a newer replica's context, which could show an effect before its cause: it
 * catches up with the whole context of every replica that had more: a state it lacks, or
 * keyspace dots of the key it lacks (else the read's version would miss writes it saw).
 */
import {
  type CausalContext,
  cloneCausalContext,
  containsDot,
  joinCausalContextInto,
  type ReplicaId,
} from "@convergent/clocks";
import type { CrdtType } from "@convergent/core";
import {
  type DottedEntry,
  FetchFailedError,
  KeyTypeConflictError,
  readRepair,
} from "@convergent/sync";
import { type CatchUpDeps, catchUp } from "./catch-up.js";
import { ConsistencyTimeoutError } from "./errors.js";

interface Answer {
  readonly replica: ReplicaId;
  readonly entries: readonly DottedEntry[];
  readonly context: CausalContext;
}

export interface QuorumRead {
  /** The keyspace key read. */
  readonly key: string;
  /** The key's name, as errors report it. */
  readonly name: string;
  readonly level: string;
  readonly required: number;
  readonly timeoutMs: number;
  readonly causal: boolean;
}

/** Returns whether the local replica was stale (lacked a state or a dot a peer had). */
export async function readFromPeers<S, V>(
  deps: CatchUpDeps & { readonly self: ReplicaId },
  type: CrdtType<S, V>,
  read: QuorumRead,
): Promise<boolean> {
  const { keyspace, engine, self } = deps;
  const { key, required, timeoutMs } = read;
  const timeout = (confirmed: readonly ReplicaId[]) =>
    new ConsistencyTimeoutError({
      operation: "read",
      confirmed: [self, ...confirmed],
      key: read.name,
      level: read.level,
      required,
      timeoutMs,
    });
  const keys = [key];
  const answers = await gather(deps, keys, required - 1, timeoutMs, timeout);

  const local = keyspace.get(key);
  const mine = { replica: self, state: type.clone((local?.state ?? type.empty()) as S) };
  const theirs = answers.map((answer) => {
    const entry = answer.entries.find((e) => e.key === key);
    if (entry !== undefined && entry.tag !== type.name) {
      throw new KeyTypeConflictError(key, entry.tag, type.name);
    }
    return { replica: answer.replica, state: (entry?.state ?? type.empty()) as S };
  });
  const { stale } = readRepair(type, [mine, ...theirs]);
  const localStale = stale.includes(self);
  // A peer can hold keyspace dots of the key that this replica lacks
  // even when its state adds nothing here (a losing LWW write, an effect already joined by another
  // path): the read saw those writes, so its version must include them.
  const ahead = answers.map((answer, i) => {
    const state = (theirs[i] as { state: S }).state;
    return !type.leq(state, mine.state) || lacksDots(keyspace.context, answer.entries);
  });
  const behind = ahead.some((a) => a);
  if (!read.causal) keyspace.applyRemote(answers.flatMap((a) => a.entries));
  else if (behind) {
    const target = cloneCausalContext(keyspace.context);
    answers.forEach((answer, i) => {
      if (ahead[i]) joinCausalContextInto(target, answer.context);
    });
    await catchUp(deps, target, timeoutMs, () => timeout(answers.map((a) => a.replica)));
  }
  for (const replica of stale) if (replica !== self) engine.push(replica, keys);
  return localStale || behind;
}

function lacksDots(context: CausalContext, entries: readonly DottedEntry[]): boolean {
  return entries.some((entry) => entry.dots.some((d) => !containsDot(context, d)));
}

/** The first `needed` answers from the connected peers, or the timeout error once too few can. */
function gather(
  deps: CatchUpDeps,
  keys: readonly string[],
  needed: number,
  timeoutMs: number,
  timeout: (confirmed: readonly ReplicaId[]) => Error,
): Promise<Answer[]> {
  const peers = deps.peers();
  return new Promise<Answer[]>((resolve, reject) => {
    const got: Answer[] = [];
    let failed = 0;
    if (peers.length < needed) {
      reject(timeout([]));
      return;
    }
    for (const peer of peers) {
      deps.engine.fetch(peer, keys, timeoutMs).then(
        ({ entries, context }) => {
          got.push({ replica: peer, entries, context });
          if (got.length === needed) resolve([...got]);
        },
        (error: unknown) => {
          if (!(error instanceof FetchFailedError)) throw error;
          failed += 1;
          if (peers.length - failed === needed - 1) reject(timeout(got.map((a) => a.replica)));
        },
      );
    }
  });
}
