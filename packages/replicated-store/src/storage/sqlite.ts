/**
 * Durable storage on an SQLite file, for Node. WAL mode with `synchronous = FULL`: every
 * commit syncs the WAL before it returns, so an acknowledged group survives a killed process
 * and a power cut, and WAL's commit records make a torn group invisible after recovery. Group
 * commit amortises that one sync over every write queued in the same turn of the event loop.
 */
import { createRequire } from "node:module";
import { ConvergentError } from "@convergent/core";
// Types only: libsql is an optional peer dependency, loaded by `openLibsql` when a path is given.
import type LibsqlDatabase from "libsql";
import { storageAdapter } from "./adapter.js";
import { emptyGroup, type Group } from "./batch.js";
import { StorageCorruptError } from "./errors.js";
import { blobColumn, column, type SqliteDatabase } from "./sqlite-driver.js";
import { DELTAS_TABLE, ENTRIES_TABLE, META_TABLE, prepareSchema } from "./sqlite-schema.js";
import type { StorageAdapter } from "./storage.js";

export type { SqliteDatabase, SqliteStatement, SqliteTransaction } from "./sqlite-driver.js";

export type SqliteStorageOptions =
  /**
   * Opens (or creates) the file with libsql, an optional peer dependency (`pnpm add libsql`;
   * `SqliteDriverMissingError` without it); `close()` closes it.
   */
  | { readonly path: string; readonly database?: never }
  /**
   * A `Database` from better-sqlite3 or libsql that you opened; its pragmas are set to WAL
   * and `synchronous = FULL`, and `close()` leaves it open (you own it).
   */
  | { readonly database: SqliteDatabase; readonly path?: never };

/**
 * `sqliteStorage({ path })` needs the `libsql` driver, an optional peer dependency (so browser
 * apps do not install its native binaries): add it with `pnpm add libsql`, or pass a
 * `database` you opened with better-sqlite3 or libsql.
 */
export class SqliteDriverMissingError extends ConvergentError {
  constructor(options?: { cause?: unknown }) {
    super(
      "SQLITE_DRIVER_MISSING",
      "sqliteStorage({ path }) opens the file with libsql, which is not installed: run " +
        "`pnpm add libsql` (or npm install libsql), or pass { database } opened with " +
        "better-sqlite3 or libsql",
      options,
    );
  }
}

/**
 * Loads libsql on first use rather than with a static import, so the module (and the `./node`
 * entry) loads without it and `sqliteStorage` stays synchronous. libsql is CommonJS, so
 * `require` gets it in one step.
 */
function openLibsql(path: string): SqliteDatabase {
  let Database: typeof LibsqlDatabase;
  try {
    Database = createRequire(import.meta.url)("libsql") as typeof LibsqlDatabase;
  } catch (cause) {
    const code = (cause as { code?: unknown } | null)?.code;
    const message = cause instanceof Error ? cause.message : "";
    if (code === "MODULE_NOT_FOUND" && message.includes("'libsql'")) {
      throw new SqliteDriverMissingError({ cause });
    }
    throw cause;
  }
  return new Database(path);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function decodeName(bytes: Uint8Array, where: string): string {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new StorageCorruptError(`${where} holds a name that is not UTF-8`, { cause });
  }
}

function readTable(db: SqliteDatabase, table: string, nameColumn: string): Map<string, Uint8Array> {
  const result = new Map<string, Uint8Array>();
  for (const row of db.prepare(`SELECT ${nameColumn}, value FROM ${table}`).all()) {
    const name = decodeName(blobColumn(column(row, nameColumn, table), table), table);
    result.set(name, blobColumn(column(row, "value", table), `${table} value of ${name}`));
  }
  return result;
}

/** Each key's delta rows, oldest first: in `seq` order, which is append order. */
function readDeltas(db: SqliteDatabase): Map<string, Uint8Array[]> {
  const result = new Map<string, Uint8Array[]>();
  for (const row of db.prepare(`SELECT key, value FROM ${DELTAS_TABLE} ORDER BY seq`).all()) {
    const key = decodeName(
      blobColumn(column(row, "key", DELTAS_TABLE), DELTAS_TABLE),
      DELTAS_TABLE,
    );
    const delta = blobColumn(column(row, "value", DELTAS_TABLE), `${DELTAS_TABLE} value of ${key}`);
    const rows = result.get(key);
    if (rows === undefined) result.set(key, [delta]);
    else rows.push(delta);
  }
  return result;
}

const NOT_A_DATABASE = new Set(["SQLITE_NOTADB", "SQLITE_CORRUPT"]);

function configure(db: SqliteDatabase): void {
  try {
    // WAL gives concurrent readers and cheap appends; durability comes from FULL, which syncs
    // the WAL on every commit (NORMAL would survive a killed process but not a power cut).
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("busy_timeout = 5000");
    prepareSchema(db);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === "string" && NOT_A_DATABASE.has(code)) {
      throw new StorageCorruptError("the file is not an SQLite database (or is damaged)", {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Opens SQLite storage synchronously: throws `StorageSchemaError` for a file written by a
 * newer version and `StorageCorruptError` for a file that is not a usable database.
 */
export function sqliteStorage(options: SqliteStorageOptions): StorageAdapter {
  const owned = options.database === undefined;
  const db: SqliteDatabase = options.database ?? openLibsql(options.path);
  try {
    configure(db);
  } catch (error) {
    if (owned) db.close();
    throw error;
  }
  const putEntry = db.prepare(`INSERT OR REPLACE INTO ${ENTRIES_TABLE} (key, value) VALUES (?, ?)`);
  const deleteEntry = db.prepare(`DELETE FROM ${ENTRIES_TABLE} WHERE key = ?`);
  const putMeta = db.prepare(`INSERT OR REPLACE INTO ${META_TABLE} (name, value) VALUES (?, ?)`);
  const appendDelta = db.prepare(`INSERT INTO ${DELTAS_TABLE} (key, value) VALUES (?, ?)`);
  const deleteDeltas = db.prepare(`DELETE FROM ${DELTAS_TABLE} WHERE key = ?`);

  let group: Group = emptyGroup();
  const apply = db.transaction(() => {
    // One array argument: libsql reads a lone object argument (a Uint8Array is one) as named
    // parameters; both drivers take an array as positional parameters.
    for (const [key, value] of group.entries) {
      const name = encoder.encode(key);
      // The new state row (or its absence) supersedes every delta stored for the key.
      deleteDeltas.run([name]);
      if (value === null) deleteEntry.run([name]);
      else putEntry.run([name, value]);
    }
    for (const [key, rows] of group.deltas) {
      const name = encoder.encode(key);
      for (const delta of rows) appendDelta.run([name, delta]);
    }
    for (const [name, value] of group.meta) putMeta.run([encoder.encode(name), value]);
  });

  return storageAdapter({
    commit(next) {
      group = next;
      try {
        apply.immediate();
      } finally {
        group = emptyGroup();
      }
    },
    // After I/O callbacks: writes caused by the same batch of incoming messages share a group.
    schedule: (drain) => setImmediate(drain),
    read: () => ({
      entries: readTable(db, ENTRIES_TABLE, "key"),
      deltas: readDeltas(db),
      meta: readTable(db, META_TABLE, "name"),
    }),
    release() {
      if (owned) db.close();
    },
  });
}
