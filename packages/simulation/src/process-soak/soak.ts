/**
 * The multi-process soak: three real `convergent serve` replicas on loopback with SQLite data
 * directories, each pair linked through a cuttable TCP proxy. Client workers write LWW registers
 * at one, quorum and all while a fault loop SIGKILLs and restarts replicas and cuts and heals
 * links. Afterwards everything is healed and restarted, the replicas must converge, and the
 * history check (history.ts) must find no lost or phantom write.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { get, type Level, put } from "./client.js";
import { checkHistory, type Violation, type WriteRecord } from "./history.js";
import { LinkProxy } from "./link-proxy.js";
import { ReplicaProcess } from "./replica-process.js";
import { SoakRng } from "./rng.js";
import { findServeCli } from "./serve-cli.js";

export interface ProcessSoakOptions {
  readonly seconds: number;
  readonly seed: number;
  /** Distinct keys written (default 16: few enough that keys see many overwrites). */
  readonly keys?: number;
  /** Concurrent client workers (default 4). */
  readonly workers?: number;
  /** How long the replicas get to converge after the faults stop (default 30 s). */
  readonly convergeTimeoutMs?: number;
  readonly cli?: string;
  readonly log?: (line: string) => void;
  /** Ends the fault phase early; the check and the cleanup still run. */
  readonly signal?: AbortSignal;
}

export interface ProcessSoakSummary {
  readonly seed: number;
  readonly seconds: number;
  readonly operations: number;
  readonly acknowledged: number;
  readonly acknowledgedByLevel: Record<Level, number>;
  readonly faults: { kills: number; restarts: number; cuts: number; heals: number };
  readonly convergedAfterMs: number | undefined;
  readonly violations: number;
  readonly details: readonly Violation[];
}

const IDS = ["a", "b", "c"] as const;
const LEVELS: readonly Level[] = ["one", "quorum", "all"];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runProcessSoak(options: ProcessSoakOptions): Promise<ProcessSoakSummary> {
  const rng = new SoakRng(options.seed);
  const keyCount = options.keys ?? 16;
  const log = options.log ?? (() => {});
  const cli = options.cli ?? findServeCli();
  const root = mkdtempSync(join(tmpdir(), "convergent-process-soak-"));
  const proxies: LinkProxy[] = [];
  const replicas = new Map<string, ReplicaProcess>();
  const faults = { kills: 0, restarts: 0, cuts: 0, heals: 0 };
  const writes: WriteRecord[] = [];
  const began = Date.now();
  try {
    // a dials b and c, b dials c: one connection per pair, each through its own proxy.
    const proxyTo = (id: string) => LinkProxy.start(() => replicas.get(id)?.port);
    const links: Record<string, LinkProxy> = {
      ab: await proxyTo("b"),
      ac: await proxyTo("c"),
      bc: await proxyTo("c"),
    };
    proxies.push(...Object.values(links));
    const url = (link: string) => `ws://127.0.0.1:${links[link]?.port}/sync`;
    // Each node names the whole cluster: the members it dials (id=url) and those that dial it.
    const peersOf: Record<string, string[]> = {
      a: [`b=${url("ab")}`, `c=${url("ac")}`],
      b: [`c=${url("bc")}`],
      c: [],
    };
    const membersOf: Record<string, string[]> = { a: [], b: ["a"], c: ["a", "b"] };
    for (const id of IDS) {
      const spec = { id, cli, data: join(root, id), peers: peersOf[id] ?? [] };
      replicas.set(id, new ReplicaProcess({ ...spec, members: membersOf[id] ?? [] }));
    }
    for (const replica of replicas.values()) await replica.start();
    log(
      `process soak: seed ${options.seed}, replicas on ${[...replicas.values()].map((r) => r.port).join(", ")}`,
    );

    const deadline = began + options.seconds * 1000;
    const faultPhase = () => Date.now() < deadline && options.signal?.aborted !== true;
    const all = [...replicas.values()];
    const worker = async (index: number) => {
      const local = new SoakRng(options.seed * 31 + index + 1);
      for (let n = 0; faultPhase(); n++) {
        const up = all.filter((r) => r.running);
        if (up.length === 0) {
          await sleep(20);
          continue;
        }
        const replica = local.pick(up);
        const key = `k${local.int(0, keyCount - 1)}`;
        const value = `w${index}.${n}`;
        const level = local.pick(LEVELS);
        const start = Date.now();
        const outcome = await put(replica.http, key, value, level);
        const end = outcome.answered ? Date.now() : Number.POSITIVE_INFINITY;
        writes.push({
          key,
          value,
          level,
          replica: replica.spec.id,
          start,
          end,
          acked: outcome.acked,
        });
        if (!outcome.answered) await sleep(local.int(5, 50));
      }
    };

    const faultLoop = async () => {
      let down: { replica: ReplicaProcess; until: number } | undefined;
      while (faultPhase()) {
        await sleep(rng.int(100, 700));
        if (down !== undefined && Date.now() >= down.until) {
          await down.replica.start();
          faults.restarts++;
          down = undefined;
          continue;
        }
        const roll = rng.next();
        const cut = proxies.filter((p) => p.isCut);
        const intact = proxies.filter((p) => !p.isCut);
        if (roll < 0.3 && down === undefined) {
          const victim = rng.pick(all);
          await victim.kill();
          faults.kills++;
          down = { replica: victim, until: Date.now() + rng.int(200, 2500) };
        } else if (roll < 0.6 && intact.length > 0) {
          rng.pick(intact).cut();
          faults.cuts++;
        } else if (cut.length > 0) {
          rng.pick(cut).restore();
          faults.heals++;
        }
      }
      if (down !== undefined) {
        await down.replica.start();
        faults.restarts++;
      }
    };

    const workers = Array.from({ length: options.workers ?? 4 }, (_, i) => worker(i));
    await Promise.all([faultLoop(), ...workers]);

    for (const proxy of proxies) {
      if (proxy.isCut) {
        proxy.restore();
        faults.heals++;
      }
    }
    const violations: Violation[] = [];
    // A replica that died by itself is restarted so its data still takes part in the check.
    for (const replica of all) {
      if (replica.unexpectedExits > 0) {
        violations.push({
          check: "replica-crash",
          message: `${replica.spec.id} exited ${replica.unexpectedExits} times by itself: ${replica.lastStderr}`,
        });
      }
      if (!replica.running) await replica.start();
    }

    const keys = [...new Set(writes.map((w) => w.key))].sort();
    const readAll = async () => {
      const finals = new Map<string, Map<string, unknown>>();
      for (const replica of all) {
        const values = new Map<string, unknown>();
        for (const key of keys) values.set(key, await get(replica.http, key));
        finals.set(replica.spec.id, values);
      }
      return finals;
    };
    const faultsEnded = Date.now();
    const convergeBy = faultsEnded + (options.convergeTimeoutMs ?? 30_000);
    let finals = new Map<string, Map<string, unknown>>();
    let convergedAfterMs: number | undefined;
    for (;;) {
      try {
        finals = await readAll();
        const sameEverywhere = keys.every((key) => {
          const values = all.map((r) => finals.get(r.spec.id)?.get(key));
          return values.every((v) => v === values[0]);
        });
        if (sameEverywhere) {
          convergedAfterMs = Date.now() - faultsEnded;
          break;
        }
      } catch {
        // A replica still starting up: try again.
      }
      if (Date.now() > convergeBy) break;
      await sleep(200);
    }
    violations.push(...checkHistory(writes, finals));

    const acknowledgedByLevel: Record<Level, number> = { one: 0, quorum: 0, all: 0 };
    for (const write of writes) if (write.acked) acknowledgedByLevel[write.level]++;
    return {
      seed: options.seed,
      seconds: Math.round((Date.now() - began) / 1000),
      operations: writes.length,
      acknowledged: writes.filter((w) => w.acked).length,
      acknowledgedByLevel,
      faults,
      convergedAfterMs,
      violations: violations.length,
      details: violations,
    };
  } finally {
    await Promise.all([...replicas.values()].map((r) => r.kill()));
    await Promise.all(proxies.map((p) => p.close()));
    rmSync(root, { recursive: true, force: true });
  }
}
