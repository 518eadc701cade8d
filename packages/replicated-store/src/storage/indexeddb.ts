/**
 * Durable storage in a browser's IndexedDB. Each group is one readwrite transaction over the
 * "entries", "deltas" and "meta" object stores, requested with `durability: "strict"` (flushed
 * to disk before `complete` fires, where the browser supports the hint), and a write resolves
 * on that `complete` event. IndexedDB transactions are atomic, so a torn group (a fold whose
 * state row was written but whose deltas were not removed, say) is never visible.
 */
import { storageAdapter } from "./adapter.js";
import { StorageClosedError, StorageCorruptError, StorageSchemaError } from "./errors.js";
import type { StorageAdapter, StorageSnapshot } from "./storage.js";

export interface IndexedDbStorageOptions {
  /** The database name; one per replica (the same origin can hold many). */
  readonly name: string;
  /** Defaults to `globalThis.indexedDB`; pass another (e.g. a fake) for tests. */
  readonly indexedDB?: IDBFactory;
}

/** The IndexedDB version is the schema version; a newer database fails to open (VersionError). */
export const INDEXEDDB_SCHEMA_VERSION = 2;
const ENTRIES = "entries";
const META = "meta";
/**
 * Delta rows as `{ key, value }` records under a generated, increasing primary key, so a read
 * of the whole store returns each key's rows in append order. The index finds a key's rows
 * when its state row is written or deleted.
 */
const DELTAS = "deltas";
const DELTAS_BY_KEY = "by-key";
const STORES = [ENTRIES, DELTAS, META];

interface DeltaRecord {
  readonly key: string;
  readonly value: Uint8Array;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error("the IndexedDB transaction was aborted"));
  });
}

function open(
  factory: IDBFactory,
  name: string,
  onVersionChange: () => void,
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let req: IDBOpenDBRequest;
    try {
      req = factory.open(name, INDEXEDDB_SCHEMA_VERSION);
    } catch (error) {
      reject(error);
      return;
    }
    req.onupgradeneeded = (event) => {
      // Migrations, by the version the database had: 0 means it was just created.
      if (event.oldVersion < 1) {
        req.result.createObjectStore(ENTRIES);
        req.result.createObjectStore(META);
      }
      if (event.oldVersion < 2) {
        const deltas = req.result.createObjectStore(DELTAS, { autoIncrement: true });
        deltas.createIndex(DELTAS_BY_KEY, "key");
      }
    };
    req.onsuccess = () => {
      const db = req.result;
      if (!STORES.every((store) => db.objectStoreNames.contains(store))) {
        db.close();
        reject(new StorageCorruptError(`IndexedDB database "${name}" lacks its object stores`));
        return;
      }
      db.onversionchange = () => {
        db.close();
        onVersionChange();
      };
      resolve(db);
    };
    req.onerror = (event) => {
      event.preventDefault();
      const error = req.error;
      if (error?.name === "VersionError") void newerSchema(factory, name, error).then(reject);
      else reject(error);
    };
  });
}

// A VersionError does not carry the stored version; ask for it so the error can say.
async function newerSchema(
  factory: IDBFactory,
  name: string,
  cause: DOMException,
): Promise<StorageSchemaError> {
  const listed = await factory.databases?.().catch(() => undefined);
  const found = listed?.find((db) => db.name === name)?.version ?? INDEXEDDB_SCHEMA_VERSION + 1;
  return new StorageSchemaError(found, INDEXEDDB_SCHEMA_VERSION, { cause });
}

async function readStore(tx: IDBTransaction, store: string): Promise<Map<string, Uint8Array>> {
  const objects = tx.objectStore(store);
  const [keys, values] = await Promise.all([
    request(objects.getAllKeys()),
    request(objects.getAll()),
  ]);
  const result = new Map<string, Uint8Array>();
  keys.forEach((key, i) => {
    const value: unknown = values[i];
    if (typeof key !== "string" || !(value instanceof Uint8Array)) {
      throw new StorageCorruptError(
        `IndexedDB store "${store}" holds a record that is not a string key with Uint8Array bytes`,
      );
    }
    result.set(key, value);
  });
  return result;
}

const isDeltaRecord = (record: unknown): record is DeltaRecord =>
  typeof record === "object" &&
  record !== null &&
  typeof (record as Partial<DeltaRecord>).key === "string" &&
  (record as Partial<DeltaRecord>).value instanceof Uint8Array;

/** Each key's delta rows, oldest first: `getAll` returns records in primary key order. */
async function readDeltas(tx: IDBTransaction): Promise<Map<string, Uint8Array[]>> {
  const records = await request(tx.objectStore(DELTAS).getAll());
  const result = new Map<string, Uint8Array[]>();
  for (const record of records as unknown[]) {
    if (!isDeltaRecord(record)) {
      throw new StorageCorruptError(
        `IndexedDB store "${DELTAS}" holds a record that is not { key: string, value: Uint8Array }`,
      );
    }
    const rows = result.get(record.key);
    if (rows === undefined) result.set(record.key, [record.value]);
    else rows.push(record.value);
  }
  return result;
}

/**
 * Removes every delta row stored for `key` when the request's turn comes. Rows appended by
 * requests placed after this one are not among those found, so they stay.
 */
function deleteDeltasOf(deltas: IDBObjectStore, key: string): void {
  const found = deltas.index(DELTAS_BY_KEY).getAllKeys(IDBKeyRange.only(key));
  // An exception thrown here aborts the transaction (IndexedDB, "fire a success event").
  found.onsuccess = () => {
    for (const primaryKey of found.result) deltas.delete(primaryKey);
  };
}

export function indexedDbStorage(options: IndexedDbStorageOptions): StorageAdapter {
  const factory = options.indexedDB ?? globalThis.indexedDB;
  let replaced = false;
  const opened = open(factory, options.name, () => {
    replaced = true;
  });
  // Open failures are reported by load/write/close; this only keeps them from going unhandled.
  opened.catch(() => {});

  async function connection(): Promise<IDBDatabase> {
    const db = await opened;
    if (replaced) {
      throw new StorageClosedError(
        `IndexedDB database "${options.name}" was closed because another tab upgraded or deleted it`,
      );
    }
    return db;
  }

  return storageAdapter({
    async commit(group) {
      const db = await connection();
      const tx = db.transaction(STORES, "readwrite", { durability: "strict" });
      const done = transactionDone(tx);
      try {
        const entries = tx.objectStore(ENTRIES);
        const deltas = tx.objectStore(DELTAS);
        for (const [key, value] of group.entries) {
          deleteDeltasOf(deltas, key);
          if (value === null) entries.delete(key);
          else entries.put(value, key);
        }
        for (const [key, rows] of group.deltas) {
          for (const value of rows) deltas.add({ key, value } satisfies DeltaRecord);
        }
        const meta = tx.objectStore(META);
        for (const [name, value] of group.meta) meta.put(value, name);
      } catch (error) {
        // Without the abort, the requests already placed would auto-commit: a torn group.
        tx.abort();
        await done.catch(() => {});
        throw error;
      }
      await done;
    },
    schedule: (drain) => queueMicrotask(drain),
    async read(): Promise<StorageSnapshot> {
      const db = await connection();
      const tx = db.transaction(STORES, "readonly");
      const [entries, deltas, meta] = await Promise.all([
        readStore(tx, ENTRIES),
        readDeltas(tx),
        readStore(tx, META),
      ]);
      return { entries, deltas, meta };
    },
    async release() {
      const db = await opened.catch(() => null);
      db?.close();
    },
  });
}

export interface DeleteIndexedDbStorageOptions {
  /** Defaults to `globalThis.indexedDB`. */
  readonly indexedDB?: IDBFactory;
}

/**
 * Deletes a replica's IndexedDB database, for a tab replica that will not come back (each tab
 * replica has its own id and so its own database). A storage still open on it, in this tab or
 * another, is closed first (its later writes reject with `StorageClosedError`). Deleting a
 * database loses every write that no peer has yet: close the replica and let it sync first.
 */
export function deleteIndexedDbStorage(
  name: string,
  options: DeleteIndexedDbStorageOptions = {},
): Promise<void> {
  const factory = options.indexedDB ?? globalThis.indexedDB;
  return new Promise((resolve, reject) => {
    const req = factory.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () =>
      reject(req.error ?? new Error(`IndexedDB database "${name}" was not deleted`));
  });
}
