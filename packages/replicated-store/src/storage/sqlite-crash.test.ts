/**
 * Real crashes: a child Node process writes through SQLite storage and prints every write whose
 * promise resolved; the parent SIGKILLs it at a random moment, reopens the file, and checks
 * that every reported write is there and that no batch is torn, delta rows and folds included.
 * The rounds share one file, so each child also recovers what the previous one left.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { sqliteStorage } from "./sqlite.js";
import { bundle } from "./test-support/bundle.js";
import { deltaKeyProblems } from "./test-support/crash-deltas.js";
import { tempDirectory } from "./test-support/temp-files.js";

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, "..", "..");

interface Round {
  readonly reported: number[];
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Runs the child until it has reported `threshold` writes, waits `delayMs`, then kills it. */
function crashRound(
  code: string,
  path: string,
  threshold: number,
  delayMs: number,
): Promise<Round> {
  return new Promise((resolve, reject) => {
    // Code on stdin resolves `libsql` from the package directory (the cwd).
    const child = spawn(process.execPath, ["--input-type=module"], {
      cwd: packageRoot,
      env: { ...process.env, CRASH_DB_PATH: path },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const reported: number[] = [];
    let pendingLine = "";
    let stderr = "";
    let killScheduled = false;
    const timeout = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      const lines = (pendingLine + chunk).split("\n");
      pendingLine = lines.pop() ?? "";
      for (const line of lines) reported.push(Number(line));
      if (!killScheduled && reported.length >= threshold) {
        killScheduled = true;
        setTimeout(() => child.kill("SIGKILL"), delayMs);
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    // "close" fires after the pipes drained, so every line the child wrote has been read.
    child.on("close", (_code, signal) => {
      clearTimeout(timeout);
      resolve({ reported, signal, stderr });
    });
    child.stdin.end(code);
  });
}

const sameBytes = (a: Uint8Array, b: Uint8Array | undefined) =>
  b !== undefined && a.length === b.length && a.every((byte, i) => byte === b[i]);

const u32At = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);

test("a SIGKILLed writer never loses a resolved write or fold and never leaves a torn batch", async () => {
  const code = await bundle(join(here, "test-support", "crash-child.ts"), "node", ["libsql"]);
  const dir = tempDirectory("crash");
  const path = join(dir.path, "replica.db");
  let maxReported = -1;
  let totalReported = 0;
  let folds = 0;
  let deltaRows = 0;
  try {
    for (let round = 0; round < 5; round += 1) {
      const threshold = 50 + Math.floor(Math.random() * 2000);
      const delayMs = Math.floor(Math.random() * 40);
      const { reported, signal, stderr } = await crashRound(code, path, threshold, delayMs);
      expect(stderr).toBe("");
      expect(signal).toBe("SIGKILL");
      expect(reported.length).toBeGreaterThanOrEqual(threshold);
      totalReported += reported.length;
      maxReported = Math.max(maxReported, ...reported);

      const storage = sqliteStorage({ path });
      const snapshot = await storage.load();
      const { entries, meta } = snapshot;
      await storage.close();

      // Groups commit in issue order, so what survived is exactly batches 0 .. next - 1.
      const next = u32At(meta.get("next"));
      if (next === undefined) throw new Error("meta 'next' is missing after the crash");
      expect(next).toBeGreaterThan(maxReported);
      expect(reported.filter((i) => !entries.has(`w${i}`))).toEqual([]);
      const damaged: number[] = [];
      for (let i = 0; i < next; i += 1) {
        const value = entries.get(`w${i}`);
        const twin = entries.get(`w${i}.twin`);
        if (value === undefined || u32At(value) !== i || !sameBytes(value, twin)) damaged.push(i);
      }
      expect(damaged).toEqual([]);
      expect(entries.has(`w${next}`) || entries.has(`w${next}.twin`)).toBe(false);
      const markers = [...entries.keys()].filter((key) => key.startsWith("tmp"));
      expect(markers).toEqual([`tmp${next - 1}`]);
      const batchKeys = [...entries.keys()].filter((key) => /^(w|tmp)\d/.test(key));
      expect(batchKeys).toHaveLength(2 * next + 1);
      // Every delta and fold of batches 0 .. next - 1, each exactly once, and none after.
      expect(deltaKeyProblems(snapshot, next)).toEqual([]);
      folds += [...entries.keys()].filter((key) => /^d\d/.test(key)).length;
      deltaRows += [...snapshot.deltas.values()].reduce((sum, rows) => sum + rows.length, 0);
    }
    expect(totalReported).toBeGreaterThan(0);
    // The rounds did exercise both: keys with state rows (folds) and delta rows left to fold.
    expect(folds).toBeGreaterThan(0);
    expect(deltaRows).toBeGreaterThan(0);
  } finally {
    dir.remove();
  }
}, 60_000);
