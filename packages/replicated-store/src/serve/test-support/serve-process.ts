/**
 * Runs real `convergent serve` processes for tests: the CLI is bundled from source with esbuild
 * (bare imports stay imports, resolved from this package's node_modules like the published
 * bin), spawned with `node`, and driven through its JSON stdout lines and its HTTP endpoints.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** Bundles src/serve/cli.ts; returns the file to run and a function that removes it. */
export async function bundleCli(): Promise<{ file: string; remove: () => void }> {
  const dir = join(packageRoot, "node_modules", ".cache", "convergent-serve-test");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `cli-${process.pid}-${Date.now()}.mjs`);
  await build({
    entryPoints: [join(packageRoot, "src", "serve", "cli.ts")],
    bundle: true,
    format: "esm",
    platform: "node",
    target: "es2022",
    packages: "external",
    outfile: file,
    logLevel: "silent",
  });
  return { file, remove: () => rmSync(file, { force: true }) };
}

export interface ServeEventLine {
  readonly event: string;
  readonly [field: string]: unknown;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class ServeProcess {
  readonly child: ChildProcess;
  readonly events: ServeEventLine[] = [];
  stderr = "";
  readonly exited: Promise<Exit>;
  #waiters: (() => void)[] = [];

  constructor(cli: string, args: readonly string[]) {
    this.child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let pending = "";
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim() !== "") this.events.push(JSON.parse(line) as ServeEventLine);
      }
      this.#notify();
    });
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        resolve({ code, signal });
        this.#notify();
      });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first event line matching `predicate`; rejects on exit or timeout. */
  waitForEvent(
    predicate: (event: ServeEventLine) => boolean,
    timeoutMs = 10_000,
  ): Promise<ServeEventLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events)}; stderr: ${this.stderr}`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        const found = this.events.find(predicate);
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
          return;
        }
        if (!this.running) {
          clearTimeout(timer);
          reject(new Error(`process exited before the event; stderr: ${this.stderr}`));
          return;
        }
        this.#waiters.push(check);
      };
      check();
    });
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  }
}

/** A started server: its process and where it listens (from its "listening" line). */
export interface Started {
  readonly process: ServeProcess;
  readonly port: number;
  readonly http: string;
  readonly sync: string;
  readonly keys: number;
}

export async function startServe(cli: string, args: readonly string[]): Promise<Started> {
  const serve = new ServeProcess(cli, ["serve", ...args]);
  const listening = await serve.waitForEvent((e) => e.event === "listening");
  return {
    process: serve,
    port: listening.port as number,
    http: listening.http as string,
    sync: listening.sync as string,
    keys: listening.keys as number,
  };
}

/** Polls `check` until it returns a value other than undefined. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result !== undefined) return result;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} not reached within ${timeoutMs} ms${last === undefined ? "" : `: ${String(last)}`}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
