import { type ReplicaId, replicaId } from "@convergent/clocks";
// The offline switch (moved here from packages/web, which uses it for its "go offline" button).
import { SimulatedNetwork } from "@convergent/sync";
import { expect, test } from "vitest";
import { MultiTransport } from "./multi-transport.js";

const [A, B, C] = ["a", "b", "c"].map((id) => replicaId(id)) as [ReplicaId, ReplicaId, ReplicaId];

function setUp() {
  // Two networks stand for two routes (say WebSocket and BroadcastChannel) out of replica a.
  const first = new SimulatedNetwork({ seed: 1 });
  const second = new SimulatedNetwork({ seed: 2 });
  const routes = new MultiTransport(A, [first.transport(A), second.transport(A)]);
  const b = first.transport(B);
  const c = second.transport(C);
  const events: string[] = [];
  const frames: string[] = [];
  routes.onPeerConnected((peer) => events.push(`+${peer}`));
  routes.onPeerDisconnected((peer) => events.push(`-${peer}`));
  routes.onFrame((peer, frame) => frames.push(`${peer}:${frame.join(",")}`));
  const settle = () => {
    first.runUntilIdle();
    second.runUntilIdle();
  };
  settle();
  return { routes, b, c, events, frames, settle };
}

test("merges the peers of every route and sends each frame on the route that reaches its peer", () => {
  const { routes, b, c, events, frames, settle } = setUp();
  expect(routes.peers()).toEqual([B, C]);
  expect(events).toEqual(["+b", "+c"]);
  const atB: string[] = [];
  b.onFrame((peer, frame) => atB.push(`${peer}:${frame.join(",")}`));
  expect(routes.send(B, Uint8Array.of(1))).toBe("queued");
  c.send(A, Uint8Array.of(2));
  settle();
  expect(atB).toEqual(["a:1"]);
  expect(frames).toEqual(["c:2"]);
  expect(routes.stats().framesSent).toBe(1);
});

test("offline looks like a partition: peers disconnect, sends are refused, nothing arrives", () => {
  const { routes, b, events, frames, settle } = setUp();
  routes.setOnline(false);
  expect(events).toEqual(["+b", "+c", "-b", "-c"]);
  expect(routes.peers()).toEqual([]);
  expect(routes.send(B, Uint8Array.of(1))).toBe("unreachable");
  expect(routes.stats().framesDropped).toBe(1);
  b.send(A, Uint8Array.of(9));
  settle();
  expect(frames).toEqual([]);
  routes.setOnline(true);
  expect(events.slice(4)).toEqual(["+b", "+c"]);
  b.send(A, Uint8Array.of(3));
  settle();
  expect(frames).toEqual(["b:3"]);
});

test("a peer that leaves while offline is not announced again when back online", () => {
  const { routes, b, events, settle } = setUp();
  routes.setOnline(false);
  void b.close();
  settle(); // the simulated network announces the broken connection
  routes.setOnline(true);
  expect(events).toEqual(["+b", "+c", "-b", "-c", "+c"]);
  expect(routes.peers()).toEqual([C]);
});
