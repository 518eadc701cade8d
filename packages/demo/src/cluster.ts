/**
 * The driver's view of the three replica processes: forks them, wires every pair through a
 * cuttable link proxy (the first named replica of a pair dials the second), sends commands and
 * awaits replies, and stops them. `kill()` is synchronous so that an exit handler can use it:
 * whatever happens to the driver, no worker outlives it.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LinkProxy } from "./link-proxy.js";
import type { Command, Replies, WorkerMessage } from "./protocol.js";

const WORKER = fileURLToPath(new URL("./worker.js", import.meta.url));
const CALL_TIMEOUT_MS = 15_000;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class Worker {
  readonly name: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  port = 0;
  readonly #pending = new Map<number, Pending>();
  readonly #exited: Promise<void>;
  #seq = 0;
  #listening: Promise<number>;

  constructor(name: string, dataDir: string) {
    this.name = name;
    this.dataDir = dataDir;
    mkdirSync(dataDir, { recursive: true });
    this.child = fork(WORKER, [name, dataDir], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.#exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
    this.#listening = new Promise((resolve, reject) => {
      this.child.once("exit", (code) => reject(new Error(`${name} exited with code ${code}`)));
      this.child.on("message", (message: WorkerMessage) => {
        if (message.kind === "listening") resolve(message.port);
      });
    });
    this.#listening.catch(() => {});
    this.child.on("message", (message: WorkerMessage) => this.#reply(message));
    this.child.on("error", () => {}); // a send to a dead child: the exit handler reports it
    this.child.once("exit", (code, signal) => {
      for (const pending of this.#pending.values()) {
        pending.reject(new Error(`replica ${name} exited (${signal ?? `code ${code}`})`));
      }
      this.#pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async listening(): Promise<number> {
    this.port = await this.#listening;
    return this.port;
  }

  call<K extends Command["op"]>(command: Extract<Command, { op: K }>): Promise<Replies[K]> {
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      if (!this.alive || !this.child.connected) {
        reject(new Error(`replica ${this.name} is not running`));
        return;
      }
      const timer = setTimeout(() => {
        this.#pending.delete(seq);
        reject(new Error(`replica ${this.name} did not answer ${command.op} in time`));
      }, CALL_TIMEOUT_MS);
      this.#pending.set(seq, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as Replies[K]);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ seq, command });
    });
  }

  /** Asks the worker to close (flushing SQLite) and waits for it to exit; kills it after 5 s. */
  async stop(): Promise<void> {
    if (this.alive) {
      await this.call({ op: "close" }).catch(() => {});
    }
    const timer = setTimeout(() => this.kill(), 5_000);
    await this.#exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.alive) this.child.kill("SIGKILL");
  }

  #reply(message: WorkerMessage): void {
    if (message.kind === "listening") return;
    const pending = this.#pending.get(message.seq);
    if (pending === undefined) return;
    this.#pending.delete(message.seq);
    if (message.kind === "reply") pending.resolve(message.result);
    else pending.reject(new Error(`replica failed: ${message.message}`));
  }
}

export class Cluster {
  readonly workers: readonly Worker[];
  readonly #links = new Map<string, LinkProxy>();

  private constructor(workers: readonly Worker[]) {
    this.workers = workers;
  }

  /**
   * Forks one worker per name. `onFork` sees the cluster before anything can fail, so the
   * caller can always clean up what was started.
   */
  static async start(
    names: readonly string[],
    dir: string,
    onFork: (cluster: Cluster) => void,
  ): Promise<Cluster> {
    const cluster = new Cluster(names.map((name) => new Worker(name, join(dir, name))));
    onFork(cluster);
    await Promise.all(cluster.workers.map((w) => w.listening()));
    const dials = new Map<Worker, { id: string; url: string }[]>();
    for (const [i, from] of cluster.workers.entries()) {
      for (const to of cluster.workers.slice(i + 1)) {
        const proxy = await LinkProxy.start(to.port);
        cluster.#links.set(linkName(from.name, to.name), proxy);
        const urls = dials.get(from) ?? [];
        urls.push({ id: to.name, url: `ws://127.0.0.1:${proxy.port}` });
        dials.set(from, urls);
      }
    }
    await Promise.all(
      cluster.workers.map((w) =>
        w.call({ op: "connect", cluster: names, dial: dials.get(w) ?? [] }),
      ),
    );
    return cluster;
  }

  get(name: string): Worker {
    const worker = this.workers.find((w) => w.name === name);
    if (worker === undefined) throw new Error(`no replica named ${name}`);
    return worker;
  }

  /** Cuts every link between `side` and the rest. Returns the links cut, as "a↔b". */
  partition(side: readonly string[]): string[] {
    const cut: string[] = [];
    for (const [name, proxy] of this.#links) {
      const [a, b] = name.split("↔");
      if (side.includes(a ?? "") !== side.includes(b ?? "")) {
        proxy.cut();
        cut.push(name);
      }
    }
    return cut;
  }

  heal(): void {
    for (const proxy of this.#links.values()) proxy.restore();
  }

  /** Gracefully stops every worker still running, then closes the proxies. */
  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
    await Promise.all([...this.#links.values()].map((proxy) => proxy.close()));
    this.#links.clear();
  }

  /** SIGKILLs every worker still running; synchronous, for exit handlers. */
  kill(): void {
    for (const worker of this.workers) worker.kill();
  }
}

function linkName(a: string, b: string): string {
  return `${a}↔${b}`;
}
