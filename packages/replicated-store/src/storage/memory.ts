/**
 * Storage in memory, for tests and demos. It has the same semantics as the durable storages
 * (validation, copies, group commit, close), so code tested against it behaves the same on
 * SQLite or IndexedDB; "durable" here means "in the MemoryDisk", which outlives the adapter.
 */

import { storageAdapter } from "./adapter.js";
import { copyBytes } from "./batch.js";
import type { StorageAdapter } from "./storage.js";

/**
 * The bytes a memory storage keeps. Open a new `memoryStorage({ disk })` on the same disk to
 * model a restart: it sees exactly the committed writes.
 */
export class MemoryDisk {
  readonly entries = new Map<string, Uint8Array>();
  /** Per key, its delta rows, oldest first; a key without rows is absent. */
  readonly deltas = new Map<string, Uint8Array[]>();
  readonly meta = new Map<string, Uint8Array>();
}

export interface MemoryStorageOptions {
  readonly disk?: MemoryDisk;
}

const copies = (source: Map<string, Uint8Array>) =>
  new Map([...source].map(([name, bytes]) => [name, copyBytes(bytes)] as const));

const listCopies = (source: Map<string, Uint8Array[]>) =>
  new Map([...source].map(([key, rows]) => [key, rows.map(copyBytes)] as const));

export function memoryStorage(options: MemoryStorageOptions = {}): StorageAdapter {
  const disk = options.disk ?? new MemoryDisk();
  return storageAdapter({
    // The group's bytes were copied on write and are never handed out, so they can be stored.
    commit(group) {
      for (const [key, value] of group.entries) {
        disk.deltas.delete(key);
        if (value === null) disk.entries.delete(key);
        else disk.entries.set(key, value);
      }
      for (const [key, rows] of group.deltas) {
        const stored = disk.deltas.get(key);
        if (stored === undefined) disk.deltas.set(key, [...rows]);
        else for (const delta of rows) stored.push(delta);
      }
      for (const [name, value] of group.meta) disk.meta.set(name, value);
    },
    schedule: (drain) => queueMicrotask(drain),
    read: () => ({
      entries: copies(disk.entries),
      deltas: listCopies(disk.deltas),
      meta: copies(disk.meta),
    }),
    release() {},
  });
}
