import { isEmptyGroup, normalizeBatch } from "./batch.js";
import { StorageClosedError } from "./errors.js";
import { type CommitGroup, groupCommitter, type Schedule } from "./group-commit.js";
import type { StorageAdapter, StorageSnapshot } from "./storage.js";

/** What a concrete storage provides; the shell adds validation, group commit and closing. */
export interface StorageBackend {
  readonly commit: CommitGroup;
  readonly schedule: Schedule;
  /** Reads everything committed; returns fresh bytes the caller may keep. */
  read(): StorageSnapshot | Promise<StorageSnapshot>;
  /** Releases the underlying database; called once, after every write and read settled. */
  release(): void | Promise<void>;
}

const rejected = (error: unknown): Promise<never> => Promise.reject(error);

export function storageAdapter(backend: StorageBackend): StorageAdapter {
  const committer = groupCommitter(backend.commit, backend.schedule);
  const reads = new Set<Promise<unknown>>();
  let closing: Promise<void> | null = null;

  return {
    load() {
      if (closing !== null) return rejected(new StorageClosedError());
      const read = committer.settled().then(() => backend.read());
      const tracked = read.then(
        () => {},
        () => {},
      );
      reads.add(tracked);
      void tracked.then(() => reads.delete(tracked));
      return read;
    },
    write(batch) {
      if (closing !== null) return rejected(new StorageClosedError());
      let group: ReturnType<typeof normalizeBatch>;
      try {
        group = normalizeBatch(batch);
      } catch (error) {
        return rejected(error);
      }
      return isEmptyGroup(group) ? committer.settled() : committer.enqueue(group);
    },
    close() {
      closing ??= (async () => {
        await committer.settled();
        await Promise.all(reads);
        await backend.release();
      })();
      return closing;
    },
    get commits() {
      return committer.commits;
    },
  };
}
