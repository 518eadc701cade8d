/**
 * `pnpm demo`: three Convergent replicas as real Node processes, syncing over WebSocket on
 * loopback with SQLite storage in a temporary directory, driven through a partition and a heal.
 * The driver owns every resource it starts: on success, on an error and on Ctrl-C it stops the
 * workers, closes the link proxies and removes the directory; an exit handler SIGKILLs any
 * worker still alive, and the workers themselves exit when the driver's IPC channel closes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster } from "./cluster.js";
import { bold, dim, red, say } from "./format.js";
import { everyoneOnline, healed, introduce, metricsTable, partitioned } from "./story.js";

const started = performance.now();
const dir = mkdtempSync(join(tmpdir(), "convergent-demo-"));
let cluster: Cluster | undefined;
let stopping: Promise<void> | undefined;
let interrupted = false;

function removeDir(): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Graceful first (workers flush SQLite and exit), then whatever is left is killed. */
function stop(): Promise<void> {
  stopping ??= (async () => {
    try {
      await cluster?.stop();
    } finally {
      cluster?.kill();
      removeDir();
    }
  })();
  return stopping;
}

process.on("exit", () => {
  cluster?.kill();
  removeDir();
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    interrupted = true;
    say(`\n${red(`${signal}: stopping the replicas`)}`);
    const force = setTimeout(() => process.exit(130), 6_000);
    stop().finally(() => {
      clearTimeout(force);
      process.exit(130);
    });
  });
}

say(bold("Convergent demo: one document, three replicas, a partition and a heal"));
try {
  cluster = await Cluster.start(["lisbon", "osaka", "lima"], dir, (c) => {
    cluster = c;
  });
  await introduce(cluster, dir);
  await everyoneOnline(cluster);
  const writes = await partitioned(cluster);
  await healed(cluster, writes);
  await metricsTable(cluster);
  const count = cluster.workers.length;
  await stop();
  say();
  say(
    `Done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${count} replicas stopped, ` +
      `${dir} removed.`,
  );
  say(dim("Run replicas yourself: docs/getting-started.md (convergent serve)."));
} catch (error) {
  // After Ctrl-C the workers exit under the story's feet: not a failure, and the signal
  // handler is already stopping everything and will exit.
  if (!interrupted) {
    say(`\n${red(`demo failed: ${error instanceof Error ? error.message : String(error)}`)}`);
    process.exitCode = 1;
    await stop().catch(() => {});
  }
}
