/**
 * A StorageAdapter that can crash: it forwards writes to a memory storage one microtask late,
 * so a crash right after an operation catches that operation's write before it reached the
 * disk, as a process killed between `write()` and `fsync` would. After the crash nothing more
 * reaches the disk and no pending write ever resolves (the process is gone).
 */
import {
  type MemoryDisk,
  memoryStorage,
  type StorageAdapter,
  type StorageBatch,
  type StorageSnapshot,
} from "@convergent/replicated-store";

export interface CrashableStorage extends StorageAdapter {
  crash(): void;
}

// A fresh promise each time: reactions on one shared pending promise would never be freed.
const never = (): Promise<never> => new Promise<never>(() => {});

export function crashableStorage(disk: MemoryDisk): CrashableStorage {
  const inner = memoryStorage({ disk });
  let crashed = false;
  return {
    crash() {
      crashed = true;
    },
    load(): Promise<StorageSnapshot> {
      return crashed ? never() : inner.load();
    },
    write(batch: StorageBatch): Promise<void> {
      if (crashed) return never();
      // Copied now: the caller owns its buffers once write() returns.
      const copy = {
        entries: [...(batch.entries ?? [])].map(([k, v]) => [k, v?.slice() ?? null] as const),
        deltas: [...(batch.deltas ?? [])].map(([k, v]) => [k, v.slice()] as const),
        meta: [...(batch.meta ?? [])].map(([k, v]) => [k, v.slice()] as const),
      };
      return Promise.resolve().then(() => (crashed ? never() : inner.write(copy)));
    },
    close: () => (crashed ? Promise.resolve() : inner.close()),
    get commits() {
      return inner.commits;
    },
  };
}
