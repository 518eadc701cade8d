/**
 * Runs the built demo end to end as a child process, as `pnpm demo` does, and checks the story's
 * facts in its output, then that it left nothing behind: no replica process, no data directory.
 * It is also interrupted (SIGINT) mid-partition and killed outright (SIGKILL), where the
 * replicas must still go away by themselves.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, test } from "vitest";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

interface Run {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves once the output matches `pattern`. */
  waitFor(pattern: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const runs: Run[] = [];

function startDemo(): Run {
  const child = spawn(process.execPath, [join(packageDir, "dist", "main.js")], {
    cwd: packageDir,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  const waiters: (() => void)[] = [];
  const wakeAll = () => {
    for (const wake of waiters.splice(0)) wake();
  };
  const collect = (chunk: Buffer) => {
    text += chunk.toString();
    wakeAll();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  child.once("exit", wakeAll);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const run: Run = {
    child,
    output: () => text,
    exited,
    async waitFor(pattern) {
      for (;;) {
        const match = pattern.exec(text);
        if (match !== null) return match[0];
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`demo exited before printing ${pattern}:\n${text}`);
        }
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
  runs.push(run);
  return run;
}

/** Whether `pid` is a live process (a zombie, exited but not yet reaped, counts as gone). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    if (existsSync("/proc/self/stat")) return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The replica pids from the demo's first table, and its data directory. */
function resourcesOf(output: string): { pids: number[]; dir: string } {
  const pids = [...output.matchAll(/^ {2}(?:lisbon|osaka|lima) +(\d+) {2}127\.0\.0\.1:\d+/gm)].map(
    (m) => Number(m[1]),
  );
  const dir = /data in (\S+);/.exec(output)?.[1] ?? "";
  return { pids, dir };
}

async function gone(pids: readonly number[], withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const alive = pids.filter(running);
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(() => {
  // The test runs what `pnpm demo` runs: the compiled JavaScript, built fresh.
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: packageDir });
});

afterEach(() => {
  for (const run of runs.splice(0)) run.child.kill("SIGKILL");
});

describe("pnpm demo", () => {
  test("tells the whole story, converges with the conflicts shown, and cleans up", async () => {
    const started = Date.now();
    const run = startDemo();
    const { code } = await run.exited;
    const out = run.output();
    expect(code, out).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);

    const { pids, dir } = resourcesOf(out);
    expect(pids).toHaveLength(3);
    expect(new Set(pids).size).toBe(3);
    expect(dir).toContain("convergent-demo-");

    // During the partition the minority cannot reach a quorum; the majority can.
    expect(out).toMatch(
      /osaka {3}title := "Convergent 1\.0-rc1" at quorum → acknowledged by a majority/,
    );
    expect(out).toMatch(/→ CONSISTENCY_TIMEOUT after \d+ ms: only lisbon confirmed/);
    expect(out).toMatch(/^ {2}lisbon +22 {2}\{crdt\} +"Convergent 1\.0" +\["approved"\]$/m);
    expect(out).toMatch(/^ {2}osaka +19 {2}\{crdt, demo, draft, sync\} +"Convergent 1\.0-rc1"/m);

    // After the heal: every replica holds the same values and the same keyspace context.
    for (const name of ["lisbon", "osaka", "lima"]) {
      expect(out).toMatch(
        new RegExp(
          `^ {2}${name} +23 {2}\\{crdt, demo, sync\\} {2}"Convergent 1\\.0" {2}\\["approved", "changes requested"\\]$`,
          "m",
        ),
      );
    }
    expect(out).toMatch(
      /✓ converged: identical values and keyspace context \{lima:\d+ lisbon:\d+ osaka:\d+\} on all three/,
    );

    // The conflict facts.
    expect(out).toContain("likes = 23: 18 before, +4 on lisbon's side, +2 -1 on the other");
    expect(out).toContain(`add wins: "sync" stays, osaka re-added it concurrently`);
    expect(out).toContain(`"draft" is gone: removed, and nobody re-added it`);
    expect(out).toContain(`title = "Convergent 1.0": lisbon's write has the later HLC`);
    expect(out).toContain(
      `osaka's "Convergent 1.0-rc1" was discarded, although a majority had acknowledged it`,
    );
    expect(out).toContain(`status = ["approved", "changes requested"]: 2 siblings`);
    expect(out).toMatch(/lima resolves them to "approved"; every replica reads \["approved"\]/);

    // The metrics table: one row per replica, each with a sibling conflict and sync traffic.
    expect(out).toMatch(/replica +reads +stale +lag p50 +p99 +max +siblings +lww overwritten/);
    for (const name of ["lisbon", "osaka", "lima"]) {
      const row = new RegExp(
        `^ {2}${name} +\\d+ +[\\d.]+ % +([\\d.]+ m?s|–) +([\\d.]+ m?s|–) +([\\d.]+ m?s|–) +1 +[01] +[\\d.]+ (B|KiB|MiB) +[\\d.]+ (B|KiB|MiB)$`,
        "m",
      );
      expect(out).toMatch(row);
    }
    expect(out).toMatch(/Done in [\d.]+ s: 3 replicas stopped/);

    expect(await gone(pids, 0)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  test("Ctrl-C during the partition stops every replica and removes the data", async () => {
    const run = startDemo();
    await run.waitFor(/2\. Partition/);
    const { pids, dir } = resourcesOf(run.output());
    expect(pids).toHaveLength(3);
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    expect(code, run.output()).toBe(130);
    expect(run.output()).toContain("SIGINT: stopping the replicas");
    expect(await gone(pids, 0)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  test("replicas exit by themselves when the driver is killed outright", async () => {
    const run = startDemo();
    await run.waitFor(/1\. Everyone online/);
    const { pids, dir } = resourcesOf(run.output());
    expect(pids).toHaveLength(3);
    run.child.kill("SIGKILL");
    await run.exited;
    try {
      // SIGKILL runs no handler in the driver: the workers notice the IPC channel close.
      expect(await gone(pids, 5_000)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
