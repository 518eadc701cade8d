import { spawnSync } from "node:child_process";
import { copyFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import Database from "libsql";
import { afterEach, expect, test } from "vitest";
import { StorageCorruptError, StorageSchemaError, StorageWriteError } from "./errors.js";
import { sqliteStorage } from "./sqlite.js";
import { SCHEMA_VERSION } from "./sqlite-schema.js";
import { storageConformance } from "./test-support/conformance.js";
import { tempDirectory } from "./test-support/temp-files.js";

/**
 * Through a second connection, a trigger that aborts every insert of a delta row: the storage's
 * next transaction sees it and fails after its state writes and delta removals already ran.
 */
function failDeltaAppendsOn(path: string) {
  return async () => {
    const side = new Database(path);
    side.exec(
      "CREATE TRIGGER fail_delta_appends BEFORE INSERT ON convergent_deltas " +
        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    );
    return async () => {
      side.exec("DROP TRIGGER fail_delta_appends");
      side.close();
    };
  };
}

for (const { name, run } of storageConformance(() => {
  const dir = tempDirectory("sqlite");
  const path = join(dir.path, "replica.db");
  return {
    open: () => sqliteStorage({ path }),
    dispose: async () => dir.remove(),
    failDeltaAppends: failDeltaAppendsOn(path),
  };
})) {
  test(`sqlite (path): ${name}`, run);
}

// The same suite through a Database the caller opened (the better-sqlite3-compatible path).
for (const { name, run } of storageConformance(() => {
  const dir = tempDirectory("sqlite-db");
  const path = join(dir.path, "replica.db");
  const databases: Database.Database[] = [];
  return {
    failDeltaAppends: failDeltaAppendsOn(path),
    open() {
      const database = new Database(path);
      databases.push(database);
      return sqliteStorage({ database });
    },
    async dispose() {
      for (const database of databases) database.close();
      dir.remove();
    },
  };
})) {
  test(`sqlite (database): ${name}`, run);
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function dbPath(): string {
  const dir = tempDirectory("sqlite-case");
  cleanups.push(dir.remove);
  return join(dir.path, "replica.db");
}

function inspect(path: string): Database.Database {
  const database = new Database(path);
  cleanups.unshift(() => database.close());
  return database;
}

const bytes = (...values: number[]) => new Uint8Array(values);

test("sqlite: the file is in WAL mode with synchronous = FULL and a schema version", async () => {
  const path = dbPath();
  const database = new Database(path);
  cleanups.unshift(() => database.close());
  const storage = sqliteStorage({ database });
  expect(database.pragma("journal_mode")).toEqual([{ journal_mode: "wal" }]);
  expect(database.pragma("synchronous")).toEqual([{ synchronous: 2 }]);
  expect(database.prepare("SELECT id, version FROM convergent_schema").all()).toEqual([
    { id: 0, version: SCHEMA_VERSION },
  ]);
  await storage.close();
  // A caller's database stays open: it still answers queries.
  expect(database.prepare("SELECT count(*) AS n FROM convergent_entries").all()).toEqual([
    { n: 0 },
  ]);
});

test("sqlite: a file with a newer schema is refused with StorageSchemaError and left unchanged", async () => {
  const path = dbPath();
  const storage = sqliteStorage({ path });
  await storage.write({ entries: [["k", bytes(1)]] });
  await storage.close();
  inspect(path).exec(`UPDATE convergent_schema SET version = ${SCHEMA_VERSION + 1}`);

  let error: unknown;
  try {
    sqliteStorage({ path });
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(StorageSchemaError);
  expect(error).toMatchObject({ code: "STORAGE_SCHEMA", found: SCHEMA_VERSION + 1 });
  expect(inspect(path).prepare("SELECT version FROM convergent_schema").all()).toEqual([
    { version: SCHEMA_VERSION + 1 },
  ]);
  expect(inspect(path).prepare("SELECT count(*) AS n FROM convergent_entries").all()).toEqual([
    { n: 1 },
  ]);
});

test("sqlite: a file that is not a database is refused with StorageCorruptError", () => {
  const path = dbPath();
  writeFileSync(path, "this is not an SQLite database, just text that is long enough ".repeat(20));
  expect(() => sqliteStorage({ path })).toThrow(StorageCorruptError);
});

test("sqlite: data tables without a version row are refused with StorageCorruptError", async () => {
  const path = dbPath();
  await sqliteStorage({ path }).close();
  inspect(path).exec("DELETE FROM convergent_schema");
  expect(() => sqliteStorage({ path })).toThrow(/no version row/);
});

test("sqlite: rows of the wrong shape make load reject with StorageCorruptError", async () => {
  const text = dbPath();
  await sqliteStorage({ path: text }).close();
  inspect(text).exec(
    "INSERT INTO convergent_entries (key, value) VALUES (X'6B', 'text, not a blob')",
  );
  await expect(sqliteStorage({ path: text }).load()).rejects.toThrow(StorageCorruptError);

  const badName = dbPath();
  await sqliteStorage({ path: badName }).close();
  inspect(badName).exec("INSERT INTO convergent_meta (name, value) VALUES (X'FF', X'01')");
  await expect(sqliteStorage({ path: badName }).load()).rejects.toThrow(/not UTF-8/);

  const textDelta = dbPath();
  await sqliteStorage({ path: textDelta }).close();
  inspect(textDelta).exec("INSERT INTO convergent_deltas (key, value) VALUES (X'6B', 'text')");
  await expect(sqliteStorage({ path: textDelta }).load()).rejects.toThrow(StorageCorruptError);

  const badDeltaKey = dbPath();
  await sqliteStorage({ path: badDeltaKey }).close();
  inspect(badDeltaKey).exec("INSERT INTO convergent_deltas (key, value) VALUES (X'FE', X'01')");
  await expect(sqliteStorage({ path: badDeltaKey }).load()).rejects.toThrow(/not UTF-8/);
});

test("sqlite: a file whose delta table is missing is refused with StorageCorruptError", async () => {
  const path = dbPath();
  await sqliteStorage({ path }).close();
  inspect(path).exec("DROP TABLE convergent_deltas");
  expect(() => sqliteStorage({ path })).toThrow(/convergent_deltas is missing/);
});

test("sqlite: a schema-1 file (fixtures/release-0.sqlite) migrates to 2 at open, keeping every row", async () => {
  const path = dbPath();
  copyFileSync(new URL("../store/fixtures/release-0.sqlite", import.meta.url), path);
  const rows = (table: string, name: string) =>
    inspect(path).prepare(`SELECT ${name} AS name, value FROM ${table} ORDER BY ${name}`).all();
  const entriesBefore = rows("convergent_entries", "key");
  const metaBefore = rows("convergent_meta", "name");
  expect(inspect(path).prepare("SELECT version FROM convergent_schema").all()).toEqual([
    { version: 1 },
  ]);
  expect(entriesBefore.length).toBeGreaterThan(0);

  const storage = sqliteStorage({ path });
  const snapshot = await storage.load();
  expect(inspect(path).prepare("SELECT version FROM convergent_schema").all()).toEqual([
    { version: SCHEMA_VERSION },
  ]);
  expect(SCHEMA_VERSION).toBe(2);
  expect(rows("convergent_entries", "key")).toEqual(entriesBefore);
  expect(rows("convergent_meta", "name")).toEqual(metaBefore);
  expect(snapshot.entries.size).toBe(entriesBefore.length);
  expect(snapshot.meta.size).toBe(metaBefore.length);
  expect(snapshot.deltas.size).toBe(0);
  const indexes = inspect(path)
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'convergent_deltas'",
    )
    .all();
  expect(indexes).toEqual([{ name: "convergent_deltas_by_key" }]);

  // The migrated file takes deltas and folds, and a second open does not migrate again.
  const [key, value] = [...snapshot.entries][0]!;
  await storage.write({ deltas: [[key, bytes(1)]] });
  await storage.write({ entries: [[key, value]], deltas: [[key, bytes(2)]] });
  await storage.close();
  const again = sqliteStorage({ path });
  const after = await again.load();
  await again.close();
  expect(after.deltas).toEqual(new Map([[key, [bytes(2)]]]));
  expect(after.entries).toEqual(snapshot.entries);
});

test("sqlite: a failed commit rejects its whole group, stores none of it, and later writes work", async () => {
  const path = dbPath();
  const database = new Database(path);
  cleanups.unshift(() => database.close());
  const storage = sqliteStorage({ database });
  await storage.write({ entries: [["before", bytes(1)]], deltas: [["before", bytes(9)]] });
  // Fails the transaction midway, after other rows of the same group were already inserted
  // (and the deltas of "before" already removed by its delete).
  database.exec(
    "CREATE TRIGGER poison BEFORE INSERT ON convergent_entries WHEN NEW.key = CAST('poison' AS BLOB) " +
      "BEGIN SELECT RAISE(ABORT, 'poisoned row'); END",
  );
  const group = [
    storage.write({
      entries: [
        ["a", bytes(2)],
        ["before", null],
      ],
      meta: [["m", bytes(1)]],
    }),
    storage.write({ entries: [["poison", bytes(3)]] }),
    storage.write({ entries: [["z", bytes(4)]] }),
  ];
  const outcomes = await Promise.allSettled(group);
  for (const outcome of outcomes) {
    expect(outcome.status).toBe("rejected");
    const reason = (outcome as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(StorageWriteError);
    expect(reason.cause.message).toMatch(/poisoned row/);
  }
  expect(storage.commits).toBe(1);
  const after = await storage.load();
  expect([...after.entries.keys()]).toEqual(["before"]);
  expect(after.deltas).toEqual(new Map([["before", [bytes(9)]]]));
  expect(after.meta.size).toBe(0);

  await storage.write({ entries: [["after", bytes(5)]] });
  expect([...(await storage.load()).entries.keys()].sort()).toEqual(["after", "before"]);
});

test("sqlite: 100k single-key writes issued at once are one transaction and all durable", async () => {
  const path = dbPath();
  const storage = sqliteStorage({ path });
  const value = bytes(1, 2, 3, 4, 5, 6, 7, 8);
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 100_000; i += 1)
    writes.push(storage.write({ entries: [[`key:${i}`, value]] }));
  await Promise.all(writes);
  expect(storage.commits).toBe(1);
  await storage.close();
  const reopened = sqliteStorage({ path });
  const { entries } = await reopened.load();
  expect(entries.size).toBe(100_000);
  expect(entries.get("key:99999")).toEqual(value);
  await reopened.close();
}, 30_000);

test("sqlite: without libsql installed the module loads and { path } throws SqliteDriverMissingError", async () => {
  // libsql is an optional peer dependency: bundle this module with everything but libsql and run
  // it from a temp directory where no node_modules can provide it.
  const here = dirname(fileURLToPath(import.meta.url));
  const result = await build({
    stdin: {
      contents: `import { SqliteDriverMissingError, sqliteStorage } from "./sqlite.ts";
        try {
          sqliteStorage({ path: "replica.db" });
          console.log(JSON.stringify({ opened: true }));
        } catch (error) {
          console.log(JSON.stringify({ typed: error instanceof SqliteDriverMissingError, code: error.code, message: error.message }));
        }`,
      resolveDir: here,
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "node",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const dir = tempDirectory("sqlite-no-driver");
  cleanups.push(dir.remove);
  const child = join(dir.path, "child.mjs");
  writeFileSync(child, result.outputFiles[0]?.text ?? "");
  // pnpm's bin shims set NODE_PATH to the workspace's store, where libsql would be found.
  const env = { ...process.env, NODE_PATH: undefined };
  const run = spawnSync(process.execPath, [child], { cwd: dir.path, encoding: "utf8", env });
  expect(run.status, run.stderr).toBe(0);
  const outcome = JSON.parse(run.stdout.trim());
  expect(outcome).toMatchObject({ typed: true, code: "SQLITE_DRIVER_MISSING" });
  expect(outcome.message).toContain("pnpm add libsql");
}, 30_000);
