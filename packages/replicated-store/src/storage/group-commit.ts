import { ConvergentError } from "@convergent/core";
import { emptyGroup, type Group, mergeInto } from "./batch.js";
import { StorageWriteError } from "./errors.js";

/** Writes one group atomically and durably; returns (or resolves) only once it is on disk. */
export type CommitGroup = (group: Group) => void | Promise<void>;

/** Runs `drain` soon, after the caller's current burst of writes has been queued. */
export type Schedule = (drain: () => void) => void;

export interface GroupCommitter {
  /** Queues a group into the next transaction; resolves once that transaction committed. */
  enqueue(group: Group): Promise<void>;
  /** Resolves (never rejects) once everything enqueued so far has committed or failed. */
  settled(): Promise<void>;
  readonly commits: number;
}

interface Pending {
  readonly group: Group;
  readonly done: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

function pending(): Pending {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { group: emptyGroup(), done, resolve, reject };
}

const ignore = () => {};

/**
 * At most one transaction runs at a time. Everything enqueued while it runs (or before the
 * scheduled drain starts) is merged into one next group, so the number of transactions tracks
 * the number of commit round trips, not the number of writes. Groups commit in issue order,
 * which is what makes "the later write wins" hold across groups.
 */
export function groupCommitter(commit: CommitGroup, schedule: Schedule): GroupCommitter {
  let collecting: Pending | null = null;
  let draining = false;
  let last: Promise<void> = Promise.resolve();
  let commits = 0;

  async function drain(): Promise<void> {
    while (collecting !== null) {
      const current = collecting;
      collecting = null;
      try {
        await commit(current.group);
        commits += 1;
        current.resolve();
      } catch (error) {
        current.reject(error instanceof ConvergentError ? error : new StorageWriteError(error));
      }
    }
    draining = false;
  }

  return {
    enqueue(group) {
      if (collecting === null) {
        collecting = pending();
        last = collecting.done.then(ignore, ignore);
        if (!draining) {
          draining = true;
          schedule(() => void drain());
        }
      }
      mergeInto(collecting.group, group);
      return collecting.done;
    },
    settled: () => last,
    get commits() {
      return commits;
    },
  };
}
