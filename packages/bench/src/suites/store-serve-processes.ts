/**
 * Real `convergent serve` processes for the latency workloads: the built bin of
 * @convergent/replicated-store (dist/serve/cli.js) run with `node`, each on a fresh data
 * directory under one temp root, on 127.0.0.1 with a cluster secret file. Every process started
 * is stopped (SIGTERM, then SIGKILL) by `stopAll`, and killed if the bench process exits first.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface ServeNode {
  readonly id: string;
  /** ws:// URL of its sync endpoint. */
  readonly sync: string;
  readonly child: ChildProcess;
  /** Every JSON event line it printed so far. */
  readonly events: { readonly event: string; readonly [field: string]: unknown }[];
  /** Resolves once `event` has been printed (for `peer` if given); rejects on exit or timeout. */
  waitForEvent(event: string, peer?: string, timeoutMs?: number): Promise<void>;
}

/** The serve bin as built by `pnpm --filter @convergent/replicated-store build`. */
function servePath(): string {
  const entry = fileURLToPath(import.meta.resolve("@convergent/replicated-store"));
  const cli = join(entry, "..", "serve", "cli.js");
  if (!existsSync(cli)) {
    throw new Error(`${cli} is missing: run pnpm --filter @convergent/replicated-store build`);
  }
  return cli;
}

export class ServeFleet {
  /** The shared cluster secret, as clients pass it (the file holds it plus a newline). */
  readonly secret = randomBytes(48).toString("base64");
  readonly #root = mkdtempSync(join(tmpdir(), "convergent-bench-serve-"));
  readonly #secretFile = join(this.#root, "cluster.secret");
  readonly #cli = servePath();
  readonly #nodes: ServeNode[] = [];
  readonly #killOnExit = () => {
    for (const node of this.#nodes) if (node.child.exitCode === null) node.child.kill("SIGKILL");
  };
  #started = 0;

  constructor() {
    writeFileSync(this.#secretFile, `${this.secret}\n`, { mode: 0o600 });
    process.on("exit", this.#killOnExit);
  }

  /** Starts `serve --id <id>` with extra `args`; resolves once it printed its listening line. */
  async start(id: string, args: readonly string[]): Promise<ServeNode> {
    const data = join(this.#root, `${id}-${this.#started++}`);
    const child = spawn(
      process.execPath,
      [
        this.#cli,
        "serve",
        ...["--id", id, "--port", "0", "--data", data],
        ...["--cluster-secret-file", this.#secretFile],
        ...args,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const node = watch(id, child);
    this.#nodes.push(node);
    await node.waitForEvent("listening", undefined, 15_000);
    const listening = node.events.find((e) => e.event === "listening");
    return { ...node, sync: listening?.sync as string };
  }

  /** SIGTERM to every process still running, SIGKILL after 5 s; removes the temp root. */
  async stopAll(): Promise<void> {
    await Promise.all(this.#nodes.map((node) => stop(node)));
    process.off("exit", this.#killOnExit);
    rmSync(this.#root, { recursive: true, force: true });
  }
}

/** SIGTERM (a graceful shutdown), SIGKILL if it has not exited 5 s later. */
export async function stop(node: ServeNode): Promise<void> {
  const { child } = node;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

function watch(id: string, child: ChildProcess): ServeNode {
  const events: ServeNode["events"] = [];
  let stderr = "";
  let waiters: (() => void)[] = [];
  const notify = () => {
    const now = waiters;
    waiters = [];
    for (const waiter of now) waiter();
  };
  let pending = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) if (line.trim() !== "") events.push(JSON.parse(line));
    notify();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.once("exit", notify);
  const waitForEvent = (event: string, peer?: string, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`serve ${id}: no ${event} within ${timeoutMs} ms; ${stderr}`)),
        timeoutMs,
      );
      const check = () => {
        if (events.some((e) => e.event === event && (peer === undefined || e.peer === peer))) {
          clearTimeout(timer);
          resolve();
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          reject(new Error(`serve ${id} exited (${child.exitCode}) before ${event}: ${stderr}`));
        } else waiters.push(check);
      };
      check();
    });
  return { id, sync: "", child, events, waitForEvent };
}
