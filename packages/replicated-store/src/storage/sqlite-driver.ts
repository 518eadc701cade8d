/**
 * The part of the better-sqlite3 API the SQLite storage uses. Both better-sqlite3 and libsql
 * (its API-compatible, prebuilt sibling) satisfy it, so a user can pass either driver's
 * `Database`. Rows are read as plain objects; blobs arrive as Buffer (better-sqlite3) or
 * ArrayBuffer (libsql), and `get` may carry extra fields (libsql's `_metadata`).
 */
import { StorageCorruptError } from "./errors.js";

export interface SqliteStatement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface SqliteTransaction {
  (): void;
  /** BEGIN IMMEDIATE: takes the write lock up front, so a commit never fails on lock upgrade. */
  immediate(): void;
}

export interface SqliteDatabase {
  prepare(source: string): SqliteStatement;
  transaction(fn: () => void): SqliteTransaction;
  exec(source: string): unknown;
  pragma(source: string): unknown;
  close(): unknown;
}

/** A BLOB column as a fresh plain Uint8Array, whichever driver produced it. */
export function blobColumn(value: unknown, where: string): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (value instanceof Uint8Array) return new Uint8Array(value);
  throw new StorageCorruptError(`${where} is not a BLOB (found ${typeof value})`);
}

/** The row's named column, or a typed error when the row is not an object. */
export function column(row: unknown, name: string, where: string): unknown {
  if (row === null || typeof row !== "object") {
    throw new StorageCorruptError(`${where}: expected a row, found ${typeof row}`);
  }
  return (row as Record<string, unknown>)[name];
}

/**
 * The value of a pragma that returns one row. better-sqlite3 returns `[{ name: value }]`;
 * libsql's `simple` option is unreliable, so both are read from the full result.
 */
export function pragmaValue(db: SqliteDatabase, name: string): unknown {
  const rows = db.pragma(name);
  const row = Array.isArray(rows) ? rows[0] : rows;
  return column(row, name, `PRAGMA ${name}`);
}
