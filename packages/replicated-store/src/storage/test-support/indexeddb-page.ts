/**
 * Browser entry for the IndexedDB tests: bundled with esbuild, loaded into real Chromium from
 * a loopback origin, and driven through `globalThis.storageTests` by playwright.
 */
import { deleteIndexedDbStorage, indexedDbStorage } from "../indexeddb.js";
import { storageConformance } from "./conformance.js";

export interface CaseResult {
  readonly name: string;
  readonly error?: string;
}

/** A snapshot as plain data, so it crosses page.evaluate. */
export interface PlainSnapshot {
  readonly entries: Record<string, number[]>;
  readonly meta: Record<string, number[]>;
  readonly allUint8Array: boolean;
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
  });
}

const bytes = (...values: number[]) => new Uint8Array(values);
let databases = 0;

type TransactionArgs = Parameters<IDBDatabase["transaction"]>;

/**
 * Runs `body` while every readwrite transaction is recorded (its durability) and, if `abort`,
 * aborted right after the storage placed its requests: a failed commit must reject.
 */
async function instrumented<T>(abort: boolean, body: () => Promise<T>) {
  const proto = IDBDatabase.prototype;
  const original = proto.transaction;
  const durabilities: string[] = [];
  proto.transaction = function (this: IDBDatabase, ...args: TransactionArgs) {
    const tx = original.apply(this, args);
    if (args[1] === "readwrite") {
      durabilities.push(tx.durability);
      if (abort) queueMicrotask(() => tx.abort());
    }
    return tx;
  };
  try {
    return { result: await body(), durabilities };
  } finally {
    proto.transaction = original;
  }
}

const storageTests = {
  async conformance(): Promise<CaseResult[]> {
    const cases = storageConformance(() => {
      databases += 1;
      const name = `conformance-${databases}-${Date.now()}`;
      return { open: () => indexedDbStorage({ name }), dispose: () => deleteDatabase(name) };
    });
    const results: CaseResult[] = [];
    for (const { name, run } of cases) {
      try {
        await run();
        results.push({ name });
      } catch (error) {
        results.push({
          name,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
      }
    }
    return results;
  },

  /** Awaited writes, then no close at all: the page is reloaded next. */
  async writeThenAbandon(name: string): Promise<number> {
    const storage = indexedDbStorage({ name });
    await storage.write({
      entries: [
        ["a", bytes(1)],
        ["b", bytes(2)],
      ],
      meta: [["hlc", bytes(7)]],
    });
    await Promise.all([
      storage.write({ entries: [["b", null]] }),
      storage.write({ entries: [["c", bytes(3)]], meta: [["hlc", bytes(8)]] }),
    ]);
    return storage.commits;
  },

  /** Writes that are never awaited, then close(): close must commit them before releasing. */
  async writeUnawaitedThenClose(name: string): Promise<void> {
    const storage = indexedDbStorage({ name });
    for (let i = 0; i < 50; i += 1) void storage.write({ entries: [[`q${i}`, bytes(i)]] });
    void storage.write({ entries: [["a", null]], meta: [["hlc", bytes(9)]] });
    await storage.close();
  },

  async load(name: string): Promise<PlainSnapshot> {
    const storage = indexedDbStorage({ name });
    const { entries, meta } = await storage.load();
    await storage.close();
    const plain = (map: Map<string, Uint8Array>) =>
      Object.fromEntries([...map].map(([key, value]) => [key, [...value]]));
    const all = [...entries.values(), ...meta.values()];
    return {
      entries: plain(entries),
      meta: plain(meta),
      allUint8Array: all.every((value) => Object.getPrototypeOf(value) === Uint8Array.prototype),
    };
  },

  /** deleteIndexedDbStorage removes a closed database and one still open (closing its storage). */
  async deleteStorage(name: string): Promise<{ listedAfter: boolean; writeAfter: unknown }> {
    const closed = indexedDbStorage({ name: `${name}-closed` });
    await closed.write({ entries: [["a", bytes(1)]] });
    await closed.close();
    await deleteIndexedDbStorage(`${name}-closed`);
    const open = indexedDbStorage({ name: `${name}-open` });
    await open.write({ entries: [["a", bytes(1)]] });
    await deleteIndexedDbStorage(`${name}-open`);
    const writeAfter = await open.write({ entries: [["b", bytes(2)]] }).then(
      () => null,
      (error: unknown) => (error as { code?: unknown }).code,
    );
    await open.close();
    const names = (await indexedDB.databases()).map((db) => db.name);
    return {
      listedAfter: names.includes(`${name}-closed`) || names.includes(`${name}-open`),
      writeAfter,
    };
  },

  /** A database at a version above ours must be refused with StorageSchemaError, untouched. */
  async newerSchema(name: string): Promise<{ code: unknown; found: unknown; version: number }> {
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(name, 5);
      req.onupgradeneeded = () => req.result.createObjectStore("entries");
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
      req.onerror = () => reject(req.error);
    });
    const storage = indexedDbStorage({ name });
    const error = await storage.load().then(
      () => null,
      (caught: unknown) => caught as { code?: unknown; found?: unknown },
    );
    await storage.close();
    const version = (await indexedDB.databases()).find((db) => db.name === name)?.version ?? -1;
    return { code: error?.code, found: error?.found, version };
  },

  /** Commits ask for strict durability; an aborted commit rejects its whole group. */
  async failedCommit(name: string) {
    const storage = indexedDbStorage({ name });
    const committed = await instrumented(false, () =>
      storage.write({ entries: [["before", bytes(1)]] }),
    );
    const failed = await instrumented(true, () =>
      Promise.allSettled([
        storage.write({
          entries: [
            ["a", bytes(2)],
            ["before", null],
          ],
        }),
        storage.write({ meta: [["m", bytes(3)]] }),
      ]),
    );
    await storage.write({ entries: [["after", bytes(4)]] });
    const { entries, meta } = await storage.load();
    await storage.close();
    return {
      durabilities: [...committed.durabilities, ...failed.durabilities],
      outcomes: failed.result.map((outcome) =>
        outcome.status === "rejected"
          ? (outcome.reason as { code?: unknown }).code
          : outcome.status,
      ),
      keys: [...entries.keys()].sort(),
      metaNames: [...meta.keys()],
    };
  },
};

export type StorageTests = typeof storageTests;

Object.assign(globalThis, { storageTests });
