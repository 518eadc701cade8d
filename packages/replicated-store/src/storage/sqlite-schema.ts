/**
 * The SQLite layout and its migrations. Keys and meta names are stored as UTF-8 BLOBs, not
 * TEXT: libsql truncates TEXT at an embedded NUL, and a key must round-trip exactly. The
 * schema version lives in its own one-row table; a file from a newer version is refused
 * before anything is written to it.
 */

import { StorageCorruptError, StorageSchemaError } from "./errors.js";
import { column, type SqliteDatabase } from "./sqlite-driver.js";

export const ENTRIES_TABLE = "convergent_entries";
export const META_TABLE = "convergent_meta";
export const DELTAS_TABLE = "convergent_deltas";
const SCHEMA_TABLE = "convergent_schema";

/** `MIGRATIONS[v]` moves a file from schema version v to v + 1. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE ${ENTRIES_TABLE} (key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;
   CREATE TABLE ${META_TABLE} (name BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;`,
  // Issue 13: a write appends a delta row instead of rewriting the key's state row. `seq` is
  // the rowid: a new row gets one above the largest present, so a key's rows sort in append
  // order even after older rows were removed (AUTOINCREMENT's never-reuse is not needed). The
  // index serves the removal of a key's rows when its state row is written or deleted.
  `CREATE TABLE ${DELTAS_TABLE} (seq INTEGER PRIMARY KEY, key BLOB NOT NULL, value BLOB NOT NULL);
   CREATE INDEX ${DELTAS_TABLE}_by_key ON ${DELTAS_TABLE} (key, seq);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

function tableExists(db: SqliteDatabase, name: string): boolean {
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").all(name)
      .length > 0
  );
}

function storedVersion(db: SqliteDatabase): number {
  const rows = db.prepare(`SELECT version FROM ${SCHEMA_TABLE} WHERE id = 0`).all();
  if (rows.length === 0) {
    if (tableExists(db, ENTRIES_TABLE)) {
      throw new StorageCorruptError(`${SCHEMA_TABLE} has no version row but data tables exist`);
    }
    return 0;
  }
  const version = column(rows[0], "version", SCHEMA_TABLE);
  const number = typeof version === "bigint" ? Number(version) : version;
  if (typeof number !== "number" || !Number.isSafeInteger(number) || number < 0) {
    throw new StorageCorruptError(`${SCHEMA_TABLE} holds an invalid version (${String(version)})`);
  }
  return number;
}

/**
 * Creates or migrates the schema in one IMMEDIATE transaction (so two processes opening a new
 * file cannot both create it), or throws `StorageSchemaError` for a newer file.
 */
export function prepareSchema(db: SqliteDatabase): void {
  const migrate = db.transaction(() => {
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${SCHEMA_TABLE} ` +
        "(id INTEGER PRIMARY KEY CHECK (id = 0), version INTEGER NOT NULL)",
    );
    const version = storedVersion(db);
    if (version > SCHEMA_VERSION) throw new StorageSchemaError(version, SCHEMA_VERSION);
    for (let from = version; from < SCHEMA_VERSION; from += 1) db.exec(MIGRATIONS[from]!);
    if (version < SCHEMA_VERSION) {
      db.prepare(`INSERT OR REPLACE INTO ${SCHEMA_TABLE} (id, version) VALUES (0, ?)`).run(
        SCHEMA_VERSION,
      );
    }
    for (const table of [ENTRIES_TABLE, META_TABLE, DELTAS_TABLE]) {
      if (!tableExists(db, table)) {
        throw new StorageCorruptError(`schema version ${version} but table ${table} is missing`);
      }
    }
  });
  migrate.immediate();
}
