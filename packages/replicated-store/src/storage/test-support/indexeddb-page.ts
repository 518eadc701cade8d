/**
 * Browser entry for the IndexedDB tests: bundled with esbuild, loaded into real Chromium from
 * a loopback origin, and driven through `globalThis.storageTests` by playwright.
 */
import { deleteIndexedDbStorage, indexedDbStorage } from "../indexeddb.js";
import type { StorageSnapshot } from "../storage.js";
import { storageConformance } from "./conformance.js";

export interface CaseResult {
  readonly name: string;
  readonly error?: string;
}

/** A snapshot as plain data, so it crosses page.evaluate. */
export interface PlainSnapshot {
  readonly entries: Record<string, number[]>;
  readonly deltas: Record<string, number[][]>;
  readonly meta: Record<string, number[]>;
  readonly allUint8Array: boolean;
}

function plainSnapshot({ entries, deltas, meta }: StorageSnapshot): PlainSnapshot {
  const plain = (map: Map<string, Uint8Array>) =>
    Object.fromEntries([...map].map(([key, value]) => [key, [...value]]));
  const rows = [...deltas.values()].flat();
  const all = [...entries.values(), ...rows, ...meta.values()];
  return {
    entries: plain(entries),
    deltas: Object.fromEntries(
      [...deltas].map(([key, list]) => [key, list.map((row) => [...row])]),
    ),
    meta: plain(meta),
    allUint8Array: all.every((value) => Object.getPrototypeOf(value) === Uint8Array.prototype),
  };
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

/**
 * The conformance harness's failure: until restored, every `add` (the storage adds only delta
 * rows) aborts its transaction as soon as it succeeded, after the group's state writes ran.
 */
async function failDeltaAppends(): Promise<() => Promise<void>> {
  const proto = IDBObjectStore.prototype;
  const original = proto.add;
  proto.add = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore["add"]>) {
    const req = original.apply(this, args);
    req.addEventListener("success", () => this.transaction.abort());
    return req;
  };
  return async () => {
    proto.add = original;
  };
}

/** Creates a database as the release before delta rows left it: version 1, no "deltas" store. */
function createVersion1(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => {
      const entries = req.result.createObjectStore("entries");
      const meta = req.result.createObjectStore("meta");
      entries.put(bytes(1, 2), "a");
      entries.put(bytes(3), "b");
      meta.put(bytes(7), "hlc");
    };
    req.onsuccess = () => {
      req.result.close();
      resolve();
    };
    req.onerror = () => reject(req.error);
  });
}

const versionOf = async (name: string) =>
  (await indexedDB.databases()).find((db) => db.name === name)?.version ?? -1;

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
      return {
        open: () => indexedDbStorage({ name }),
        dispose: () => deleteDatabase(name),
        failDeltaAppends,
      };
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
      deltas: [
        ["a", bytes(10)],
        ["b", bytes(20)],
        ["d", bytes(40)],
      ],
      meta: [["hlc", bytes(7)]],
    });
    await Promise.all([
      storage.write({ entries: [["b", null]] }),
      storage.write({ entries: [["c", bytes(3)]], meta: [["hlc", bytes(8)]] }),
      storage.write({ deltas: [["a", bytes(11)]] }),
      storage.write({ entries: [["d", bytes(4)]], deltas: [["d", bytes(41)]] }),
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
    const snapshot = await storage.load();
    await storage.close();
    return plainSnapshot(snapshot);
  },

  /** A version-1 database (no delta rows yet) upgrades at open and keeps what it held. */
  async upgradeFromVersion1(name: string) {
    await createVersion1(name);
    const storage = indexedDbStorage({ name });
    const upgraded = plainSnapshot(await storage.load());
    await storage.write({
      deltas: [
        ["a", bytes(5)],
        ["new", bytes(6)],
      ],
    });
    await storage.write({ entries: [["b", bytes(4)]], deltas: [["b", bytes(8)]] });
    await storage.close();
    const reopened = indexedDbStorage({ name });
    const after = plainSnapshot(await reopened.load());
    await reopened.close();
    return { upgraded, after, version: await versionOf(name) };
  },

  /** deleteIndexedDbStorage removes a closed database and one still open (closing its storage). */
  async deleteStorage(name: string) {
    const closed = indexedDbStorage({ name: `${name}-closed` });
    await closed.write({ entries: [["a", bytes(1)]] });
    await closed.close();
    await deleteIndexedDbStorage(`${name}-closed`);
    const open = indexedDbStorage({ name: `${name}-open` });
    await open.write({ entries: [["a", bytes(1)]], deltas: [["a", bytes(2)]] });
    await deleteIndexedDbStorage(`${name}-open`);
    const writeAfter = await open.write({ entries: [["b", bytes(2)]] }).then(
      () => null,
      (error: unknown) => (error as { code?: unknown }).code,
    );
    await open.close();
    const names = (await indexedDB.databases()).map((db) => db.name);
    const listedAfter = names.includes(`${name}-closed`) || names.includes(`${name}-open`);
    // A storage opened under the same name afterwards starts empty: no entry, delta or meta.
    const fresh = indexedDbStorage({ name: `${name}-open` });
    const { entries, deltas, meta } = await fresh.load();
    await fresh.close();
    await deleteIndexedDbStorage(`${name}-open`);
    return { listedAfter, writeAfter, reopenedHolds: entries.size + deltas.size + meta.size };
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
      storage.write({ entries: [["before", bytes(1)]], deltas: [["before", bytes(9)]] }),
    );
    const failed = await instrumented(true, () =>
      Promise.allSettled([
        storage.write({
          entries: [
            ["a", bytes(2)],
            ["before", null],
          ],
        }),
        storage.write({ deltas: [["a", bytes(5)]], meta: [["m", bytes(3)]] }),
      ]),
    );
    await storage.write({ entries: [["after", bytes(4)]] });
    const { entries, deltas, meta } = await storage.load();
    await storage.close();
    return {
      deltas: Object.fromEntries([...deltas].map(([key, rows]) => [key, rows.map((r) => [...r])])),
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
