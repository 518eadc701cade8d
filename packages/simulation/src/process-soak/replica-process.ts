/**
 * One `convergent serve` replica as a real child process: started on a data directory, killed
 * with SIGKILL, and restarted on the same directory and port, so peers and proxies keep their
 * addresses. Exits the driver did not cause are counted, because a replica that dies by itself
 * is a finding of the soak.
 */
import { type ChildProcess, spawn } from "node:child_process";

export interface ReplicaSpec {
  readonly id: string;
  readonly cli: string;
  readonly data: string;
  /** `id=ws://...` of the members this replica dials (through the proxies). */
  readonly peers: readonly string[];
  /** Members that only dial in (`--members`): with `peers`, the configured cluster. */
  readonly members?: readonly string[];
}

const START_TIMEOUT_MS = 15_000;

export class ReplicaProcess {
  readonly spec: ReplicaSpec;
  port: number | undefined;
  unexpectedExits = 0;
  lastStderr = "";
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #killing = false;

  constructor(spec: ReplicaSpec) {
    this.spec = spec;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  get http(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the process (on the remembered port after the first start) and waits until it listens. */
  async start(): Promise<void> {
    if (this.#child !== undefined) return;
    const args = [this.spec.cli, "serve", "--id", this.spec.id, "--port", String(this.port ?? 0)];
    args.push("--data", this.spec.data, "--debug");
    if (this.spec.peers.length > 0) args.push("--peers", this.spec.peers.join(","));
    const members = this.spec.members ?? [];
    if (members.length > 0) args.push("--members", members.join(","));
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    this.#killing = false;
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
      this.lastStderr = stderr;
    });
    this.#exited = new Promise((resolve) => {
      child.once("exit", () => {
        if (this.#child === child) this.#child = undefined;
        if (!this.#killing) this.unexpectedExits++;
        resolve();
      });
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.spec.id}: no listening line`)),
        START_TIMEOUT_MS,
      );
      let pending = "";
      child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          if (!line.includes('"listening"')) continue;
          const event = JSON.parse(line) as { event: string; port: number };
          if (event.event === "listening") {
            clearTimeout(timer);
            resolve(event.port);
          }
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.spec.id} exited (${code ?? signal}) before listening: ${stderr}`));
      });
    });
    this.port = port;
  }

  /** SIGKILL: no shutdown, no flush; whatever the replica acknowledged must already be on disk. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#killing = true;
    child.kill("SIGKILL");
    await this.#exited;
  }
}
