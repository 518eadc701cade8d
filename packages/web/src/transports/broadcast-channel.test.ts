import { type ReplicaId, replicaId } from "@convergent/clocks";
import { afterEach, expect, test } from "vitest";
import { BroadcastChannelTransport } from "./broadcast-channel.js";

// Node has the same BroadcastChannel as browsers; a unique name keeps the tests apart.
let channelSeq = 0;
const open: BroadcastChannelTransport[] = [];

function tab(id: string, channel: string, silenceMs = 4000): BroadcastChannelTransport {
  const transport = new BroadcastChannelTransport({
    localId: replicaId(id),
    channel,
    announceMs: 20,
    silenceMs,
  });
  open.push(transport);
  return transport;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

test("tabs find each other and exchange frames addressed to them only", async () => {
  const channel = `test-${channelSeq++}`;
  const [a, b, c] = [tab("a", channel), tab("b", channel), tab("c", channel)];
  await until(() => a.peers().length === 2 && b.peers().length === 2 && c.peers().length === 2);
  const atB: string[] = [];
  const atC: string[] = [];
  b.onFrame((peer, frame) => atB.push(`${peer}:${frame.join(",")}`));
  c.onFrame((peer, frame) => atC.push(`${peer}:${frame.join(",")}`));
  expect(a.send("b" as ReplicaId, Uint8Array.of(7, 8))).toBe("queued");
  await until(() => atB.length === 1);
  expect(atB).toEqual(["a:7,8"]);
  expect(atC).toEqual([]);
  expect(a.send("nobody" as ReplicaId, Uint8Array.of(1))).toBe("unreachable");
  expect(a.stats()).toMatchObject({ framesSent: 1, bytesSent: 2, framesDropped: 1 });
});

test("a closing tab is dropped at once; a reloaded tab (same id) is a new connection", async () => {
  const channel = `test-${channelSeq++}`;
  const a = tab("a", channel);
  const events: string[] = [];
  a.onPeerConnected((peer) => events.push(`+${peer}`));
  a.onPeerDisconnected((peer) => events.push(`-${peer}`));
  const b = tab("b", channel);
  await until(() => events.length === 1);
  await b.close();
  await until(() => events.length === 2);
  tab("b", channel);
  await until(() => events.length === 3);
  expect(events).toEqual(["+b", "-b", "+b"]);
  expect(b.send("a" as ReplicaId, Uint8Array.of(1))).toBe("closed");
});

test("a silent tab is disconnected after silenceMs", async () => {
  const channel = `test-${channelSeq++}`;
  const a = tab("a", channel, 100);
  const lost: string[] = [];
  a.onPeerDisconnected((peer) => lost.push(peer));
  // A raw channel that says hello once and then never again, like a frozen or crashed tab.
  const raw = new BroadcastChannel(channel);
  raw.postMessage({ kind: "hello", from: "frozen", instance: "x" });
  await until(() => a.peers().includes("frozen" as ReplicaId));
  await until(() => lost.length === 1);
  expect(lost).toEqual(["frozen"]);
  raw.close();
});
