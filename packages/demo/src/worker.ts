/**
 * One replica of the demo as its own Node process: SQLite storage in its data directory, a
 * WebSocket server the other replicas dial, a client per peer it dials, and the store on top.
 * The driver forks it (`worker.js <id> <data dir>`) and sends it commands over IPC. It exits
 * when told to close, on SIGINT/SIGTERM, and when the driver goes away (the IPC channel
 * closes), so a crashed or killed driver never leaves it running.
 */
import { join } from "node:path";
import { causalContextToEntries, replicaId } from "@convergent/clocks";
import { lwwRegister } from "@convergent/lww-register";
import {
  ConsistencyTimeoutError,
  createMetrics,
  createReplica,
  type Replica,
} from "@convergent/replicated-store";
import { MultiTransport, sqliteStorage } from "@convergent/replicated-store/node";
import type { Transport } from "@convergent/sync";
import { listenWebSocketServer, nodeWebSocketClient } from "@convergent/sync/websocket-node";
import {
  type Command,
  type DocState,
  heartbeatKey,
  KEYS,
  type Request,
  type WorkerMessage,
  type WriteOutcome,
} from "./protocol.js";

const [name, dataDir] = process.argv.slice(2);
if (name === undefined || dataDir === undefined || process.send === undefined) {
  console.error("usage: forked by the demo driver as worker.js <id> <data dir>");
  process.exit(2);
}
const id = replicaId(name);
const metrics = createMetrics({ maxLagMs: 5_000 });
const server = await listenWebSocketServer({ localId: id, host: "127.0.0.1", port: 0 });
let transport: Transport = server;
let replica: Replica | undefined;
let heartbeat: NodeJS.Timeout | undefined;

function send(message: WorkerMessage): void {
  if (process.connected) process.send?.(message);
}

function opened(): Replica {
  if (replica === undefined) throw new Error(`${id} has not been connected yet`);
  return replica;
}

async function connect(command: Extract<Command, { op: "connect" }>): Promise<void> {
  // A partition in the demo cuts a connection and the healing waits for the client's next
  // attempt, so retry fast (the serve process caps at 2 s for real networks).
  const clients = command.dial.map((peer) =>
    nodeWebSocketClient({
      localId: id,
      url: peer.url,
      expectedPeer: replicaId(peer.id),
      reconnect: { baseDelayMs: 50, maxDelayMs: 150 },
    }),
  );
  transport = new MultiTransport(id, [server, ...clients]);
  replica = await createReplica({
    id,
    transport,
    storage: sqliteStorage({ path: join(dataDir as string, "replica.db") }),
    // The whole cluster, not just who is connected: quorum stays 2 of 3 during a partition.
    peers: command.cluster.filter((other) => other !== id),
    metrics,
    timeoutMs: 2_000,
    sync: { gossip: { intervalMs: 300 } },
  });
}

async function writeTitle(write: Extract<Command, { op: "title" }>): Promise<WriteOutcome> {
  const started = performance.now();
  try {
    await opened()
      .register(KEYS.title)
      .set(write.value, { level: write.level, timeoutMs: write.timeoutMs });
    return { ok: true, ms: performance.now() - started };
  } catch (error) {
    if (!(error instanceof ConsistencyTimeoutError)) throw error;
    return {
      ok: false,
      ms: performance.now() - started,
      code: error.code,
      confirmed: error.confirmed,
      appliedLocally: error.appliedLocally,
    };
  }
}

async function state(): Promise<DocState> {
  const r = opened();
  const [likes, tags, title, status] = await Promise.all([
    r.counter(KEYS.likes).value(),
    r.set(KEYS.tags).values(),
    r.register(KEYS.title).get(),
    r.mvRegister(KEYS.status).values(),
  ]);
  // The handle reads the winning value; who wrote it and when is in the register's state.
  const winner = r.stateOf(KEYS.title, lwwRegister)?.entry;
  return {
    likes: likes.value,
    tags: [...tags.value].map(String).sort(),
    title:
      title.exists && winner !== undefined
        ? {
            value: String(winner.value),
            by: winner.replica,
            wallTime: winner.wallTime,
            logical: winner.logical,
          }
        : undefined,
    status: status.value.map(String).sort(),
    context: causalContextToEntries(r.keyspace.context).versionVector,
  };
}

function setHeartbeat(everyMs: number | undefined): void {
  clearInterval(heartbeat);
  heartbeat = undefined;
  if (everyMs === undefined) return;
  heartbeat = setInterval(() => {
    opened()
      .register(heartbeatKey(id))
      .set(Date.now())
      .catch(() => {});
  }, everyMs);
}

let closing: Promise<void> | undefined;
function close(): Promise<void> {
  closing ??= (async () => {
    setHeartbeat(undefined);
    await replica?.close();
    await transport.close();
  })();
  return closing;
}

async function run(command: Command): Promise<unknown> {
  switch (command.op) {
    case "connect":
      await connect(command);
      return { ok: true };
    case "count":
      if (command.by >= 0) await opened().counter(KEYS.likes).increment(command.by);
      else await opened().counter(KEYS.likes).decrement(-command.by);
      return { ok: true };
    case "add":
      await opened().set(KEYS.tags).add(command.element);
      return { ok: true };
    case "remove":
      await opened().set(KEYS.tags).remove(command.element);
      return { ok: true };
    case "title":
      return writeTitle(command);
    case "status":
      await opened().mvRegister(KEYS.status).write(command.value);
      return { ok: true };
    case "resolve-status":
      await opened()
        .mvRegister(KEYS.status)
        .resolve(() => command.value);
      return { ok: true };
    case "heartbeat":
      setHeartbeat(command.everyMs);
      return { ok: true };
    case "state":
      return state();
    case "peers":
      return opened().connectedPeers();
    case "metrics":
      return metrics.snapshot();
    case "close":
      await close();
      return { ok: true };
  }
}

/** Closes within a bound, then exits: a hung close must not keep the process alive. */
function shutDown(code: number): void {
  setTimeout(() => process.exit(1), 3_000).unref();
  close().then(
    () => process.exit(code),
    () => process.exit(1),
  );
}

process.on("message", (message: Request) => {
  run(message.command).then(
    (result) => {
      send({ kind: "reply", seq: message.seq, result });
      if (message.command.op === "close") process.disconnect();
    },
    (error: unknown) =>
      send({
        kind: "failed",
        seq: message.seq,
        message: error instanceof Error ? error.message : String(error),
      }),
  );
});
process.on("disconnect", () => shutDown(0));
process.on("SIGINT", () => shutDown(0));
process.on("SIGTERM", () => shutDown(0));

send({ kind: "listening", port: server.address()?.port ?? 0 });
