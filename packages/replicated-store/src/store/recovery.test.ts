/**
 * Persistence and recovery: restarts on a memory disk (what a replica recovers, that its dots
 * continue above anything it handed out, that nothing undurable ever left it), and real crashes:
 * a child process writing through SQLite is SIGKILLed, and a replica restarted on the file must
 * hold every acknowledged write and then converge with a peer.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { replicaId } from "@convergent/clocks";
import { SimulatedNetwork } from "@convergent/sync";
import { describe, expect, test } from "vitest";
import { StorageWriteError } from "../storage/errors.js";
import { memoryStorage } from "../storage/memory.js";
import { sqliteStorage } from "../storage/sqlite.js";
import type { StorageAdapter } from "../storage/storage.js";
import { bundle } from "../storage/test-support/bundle.js";
import { tempDirectory } from "../storage/test-support/temp-files.js";
import { RETRY_MS } from "./durability.js";
import { DOT_BLOCK } from "./persistence.js";
import { createReplica } from "./replica.js";
import { cluster, flush } from "./test-support/cluster.js";

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, "..", "..");

describe("restart on the same storage", () => {
  test("recovers values, per-key dots and the context, and never reuses a dot", async () => {
    const c = await cluster(2);
    const a = c.replicas[0]!;
    const first = await c.settle(a.counter("n").increment(2));
    await c.settle(a.set("s").add("x"));
    await c.run(100);
    const context = a.token().context;
    const dots = a.keyspace.dotsOf("n");
    const restarted = await c.restart(0);
    expect((await c.settle(restarted.counter("n").value())).value).toBe(2);
    expect([...(await c.settle(restarted.set("s").values())).value]).toEqual(["x"]);
    expect(restarted.keyspace.dotsOf("n")).toEqual(dots);
    // The context now also claims the rest of the reserved block, which was never handed out.
    expect(restarted.keyspace.context.versionVector.get(replicaId("a"))).toBe(
      first.dot.counter + DOT_BLOCK - 1,
    );
    expect(context.versionVector.get(replicaId("a"))).toBe(2);
    const after = await c.settle(restarted.counter("n").increment(1));
    expect(after.dot.counter).toBe(DOT_BLOCK + 1);
    await c.run(300);
    const b = c.replicas[1]!;
    expect((await c.settle(b.counter("n").value())).value).toBe(3);
  });

  test("storage written by another replica id is refused", async () => {
    const c = await cluster(1);
    await c.settle(c.replicas[0]!.counter("n").increment());
    const network = new SimulatedNetwork({ seed: 2 });
    await expect(
      createReplica({
        id: "intruder",
        transport: network.transport(replicaId("intruder")),
        storage: memoryStorage({ disk: c.disks[0]! }),
        scheduler: network.scheduler,
      }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  test("a write that never became durable is never shown to a peer", async () => {
    const c = await cluster(2, { sync: { gossip: { intervalMs: 50 } } });
    const inner = memoryStorage({ disk: c.disks[0]! });
    const never: StorageAdapter = {
      load: () => inner.load(),
      write: () => new Promise(() => {}),
      close: () => inner.close(),
      commits: 0,
    };
    const a = await c.restart(0, never);
    await c.run(50);
    const pending = a.counter("n").increment(5);
    let acknowledged = false;
    void pending.then(() => {
      acknowledged = true;
    });
    await c.run(2000); // pushes, gossip, sync answers: all would carry the write
    expect(acknowledged).toBe(false);
    const b = c.replicas[1]!;
    expect((await c.settle(b.counter("n").value())).exists).toBe(false);
    // Crash and recover: the write is gone, and a new one converges normally.
    const recovered = await c.restart(0);
    await c.settle(recovered.counter("n").increment(1));
    await c.run(300);
    expect((await c.settle(b.counter("n").value())).value).toBe(1);
    expect((await c.settle(recovered.counter("n").value())).value).toBe(1);
  });

  test("a failed commit rejects the write, holds every frame, and a full rewrite repairs it", async () => {
    const c = await cluster(2, { sync: { gossip: { intervalMs: 50 } } });
    const inner = memoryStorage({ disk: c.disks[0]! });
    let failNext = false;
    const flaky: StorageAdapter = {
      load: () => inner.load(),
      write: (batch) => {
        if (!failNext) return inner.write(batch);
        failNext = false;
        return Promise.reject(new StorageWriteError(new Error("disk full")));
      },
      close: () => inner.close(),
      get commits() {
        return inner.commits;
      },
    };
    const a = await c.restart(0, flaky);
    const b = c.replicas[1]!;
    await c.run(50);
    failNext = true;
    await expect(c.settle(a.counter("n").increment(5))).rejects.toBeInstanceOf(StorageWriteError);
    await c.settle(a.counter("other").increment(1)); // commits, but the gate stays shut
    await c.run(RETRY_MS - 100);
    expect((await c.settle(b.counter("n").value())).exists).toBe(false);
    expect((await c.settle(b.counter("other").value())).exists).toBe(false);
    await c.run(500); // the rewrite commits and the held frames go out
    expect((await c.settle(b.counter("n").value())).value).toBe(5);
    const restarted = await c.restart(0);
    expect((await c.settle(restarted.counter("n").value())).value).toBe(5);
  });

  test("close flushes and closes the storage; operations afterwards fail", async () => {
    const c = await cluster(1);
    const a = c.replicas[0]!;
    const write = a.register("r").set("kept");
    await flush();
    await a.close();
    await write;
    await expect(a.register("r").get()).rejects.toMatchObject({ code: "REPLICA_CLOSED" });
    const reopened = await c.restart(0);
    expect((await c.settle(reopened.register("r").get())).value).toBe("kept");
  });
});

interface Acknowledged {
  readonly registers: Map<string, number>;
  readonly increments: number;
  readonly maxDot: number;
}

function crashChild(
  code: string,
  path: string,
  threshold: number,
): Promise<Acknowledged & { stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module"], {
      cwd: packageRoot,
      env: { ...process.env, CRASH_DB_PATH: path },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const registers = new Map<string, number>();
    let increments = 0;
    let maxDot = 0;
    let lines = 0;
    let pending = "";
    let stderr = "";
    let killed = false;
    const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      const all = (pending + chunk).split("\n");
      pending = all.pop() ?? "";
      for (const line of all) {
        const [key, i, dot] = line.split(" ");
        lines += 1;
        maxDot = Math.max(maxDot, Number(dot));
        if (key === "total") increments += 1;
        // Writers run concurrently, so a key's last acknowledged value is the highest i.
        else registers.set(key as string, Math.max(registers.get(key as string) ?? -1, Number(i)));
      }
      if (!killed && lines >= threshold) {
        killed = true;
        setTimeout(() => child.kill("SIGKILL"), Math.floor(Math.random() * 20));
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(guard);
      resolve({ registers, increments, maxDot, stderr });
    });
    child.stdin.end(code);
  });
}

test("SIGKILL: a replica restarted on its SQLite file holds every acknowledged write, issues fresh dots and converges", async () => {
  const code = await bundle(join(here, "test-support", "crash-replica-child.ts"), "node", [
    "libsql",
  ]);
  const dir = tempDirectory("replica-crash");
  const path = join(dir.path, "replica.db");
  try {
    for (let round = 0; round < 2; round += 1) {
      const acked = await crashChild(code, path, 300 + Math.floor(Math.random() * 700));
      expect(acked.stderr).toBe("");
      expect(acked.maxDot).toBeGreaterThan(0);

      const network = new SimulatedNetwork({ seed: round });
      const open = (id: string, storage: StorageAdapter) =>
        createReplica({
          id,
          transport: network.transport(replicaId(id)),
          storage,
          scheduler: network.scheduler,
          sync: { gossip: { intervalMs: 100 } },
        });
      const crashy = await open("crashy", sqliteStorage({ path }));
      const peer = await open("peer", memoryStorage());
      for (const [key, value] of acked.registers) {
        const read = await crashy.register(key).get();
        // Another writer may have written a later value to the key after the last report.
        expect(read.value as number).toBeGreaterThanOrEqual(value);
      }
      const total = (await crashy.counter("total").value()).value;
      expect(total).toBeGreaterThanOrEqual(acked.increments);

      const fresh = crashy.counter("total").increment(1);
      await flush();
      await flush();
      const written = await fresh;
      expect(written.dot.counter).toBeGreaterThan(acked.maxDot);
      for (let t = 0; t < 300; t += 1) {
        network.advance(5);
        await flush();
      }
      expect((await peer.counter("total").value()).value).toBe(total + 1);
      expect(await peer.keyspace.size).toBe(crashy.keyspace.size);
      await crashy.close();
      await peer.close();
    }
  } finally {
    dir.remove();
  }
}, 60_000);
