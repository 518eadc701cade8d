import { ConvergentError } from "@convergent/core";

/** The storage was closed (by `close()`, or by another connection upgrading the database). */
export class StorageClosedError extends ConvergentError {
  constructor(message = "the storage is closed; open a new one to read or write") {
    super("STORAGE_CLOSED", message);
  }
}

/**
 * The stored data was written by a newer version of Convergent (its schema version is above
 * the one this version understands). Nothing was changed: upgrade the package to open it.
 */
export class StorageSchemaError extends ConvergentError {
  readonly found: number;
  readonly supported: number;

  constructor(found: number, supported: number, options?: { cause?: unknown }) {
    super(
      "STORAGE_SCHEMA",
      `the storage has schema version ${found}, but this version of @convergent/replicated-store ` +
        `reads up to ${supported}; upgrade the package to open it (it was left unchanged)`,
      options,
    );
    this.found = found;
    this.supported = supported;
  }
}

/** The stored data does not have the shape this storage writes (edited by hand, or damaged). */
export class StorageCorruptError extends ConvergentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("STORAGE_CORRUPT", message, options);
  }
}

/**
 * A commit failed (disk full, I/O error, quota exceeded). Nothing of the failed group is
 * visible, and every write in that group rejects with this error; `cause` holds the driver's
 * error. Later writes are tried again in new transactions.
 */
export class StorageWriteError extends ConvergentError {
  constructor(cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      "STORAGE_WRITE_FAILED",
      `the storage could not commit a group of writes (${detail}); none of them was stored`,
      { cause },
    );
  }
}
