/**
 * The data directory of a serve process, and a lock so two processes never open one directory:
 * two replicas on one storage would issue the same dots. The lock is a file holding the owner's
 * pid, created exclusively; a lock whose pid is no longer running (the owner was killed) is
 * taken over, so a crash never needs manual clean-up.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { UsageError } from "./args.js";

export const DATABASE_FILE = "replica.db";
const LOCK_FILE = "LOCK";

/**
 * Directories this process holds. A lock file with our own pid is otherwise taken as stale:
 * in a container a restarted server often gets the pid its killed predecessor had.
 */
const heldHere = new Set<string>();

export interface DataDir {
  readonly database: string;
  /** Removes the lock; idempotent. */
  release(): void;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to someone else, so it is running.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Creates `dir` if needed and locks it; throws UsageError when another process holds it. */
export function openDataDir(dir: string): DataDir {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new UsageError(
      `--data: cannot create ${JSON.stringify(dir)}: ${(error as Error).message}`,
    );
  }
  const lock = resolve(dir, LOCK_FILE);
  if (heldHere.has(lock)) {
    throw new UsageError(`--data: ${JSON.stringify(dir)} is already open in this process`);
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: "wx" });
      heldHere.add(lock);
      return {
        database: join(dir, DATABASE_FILE),
        release() {
          if (!heldHere.delete(lock)) return;
          rmSync(lock, { force: true });
        },
      };
    } catch (error) {
      if (errorCode(error) !== "EEXIST") {
        throw new UsageError(
          `--data: cannot lock ${JSON.stringify(dir)}: ${(error as Error).message}`,
        );
      }
    }
    const owner = Number.parseInt(readFileSync(lock, "utf8"), 10);
    if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && running(owner)) {
      throw new UsageError(
        `--data: ${JSON.stringify(dir)} is in use by process ${owner}; each replica needs its own data directory`,
      );
    }
    // A stale lock from a killed process (or garbage): take it over.
    rmSync(lock, { force: true });
  }
  throw new UsageError(
    `--data: cannot lock ${JSON.stringify(dir)}: another process keeps taking the lock`,
  );
}
