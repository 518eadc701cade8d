import { type ReplicaId, replicaId } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import { SimulatedNetwork } from "@convergent/sync";
import { expect, test } from "vitest";
import { MultiTransport } from "./multi-transport.js";

const a = replicaId("a");
const b = replicaId("b");
const c = replicaId("c");

/** Two independent networks: "a" reaches "b" on both (two routes) and "c" only on the second. */
function setup() {
  const first = new SimulatedNetwork({ seed: 1, link: { ordered: true } });
  const second = new SimulatedNetwork({ seed: 2, link: { ordered: true } });
  const routes = [first.transport(a), second.transport(a)];
  const b1 = first.transport(b);
  const b2 = second.transport(b);
  const c2 = second.transport(c);
  const multi = new MultiTransport(a, routes);
  const events: string[] = [];
  multi.onPeerConnected((peer) => events.push(`+${peer}`));
  multi.onPeerDisconnected((peer) => events.push(`-${peer}`));
  const received: [ReplicaId, number][] = [];
  multi.onFrame((peer, frame) => received.push([peer, frame[0]!]));
  const run = () => {
    first.runUntilIdle();
    second.runUntilIdle();
  };
  run();
  return { first, second, routes, b1, b2, c2, multi, events, received, run };
}

test("a peer reached on two routes connects once and disconnects when the last route breaks", () => {
  const { first, second, multi, events, run } = setup();
  expect(multi.peers()).toEqual([b, c]);
  expect(events).toEqual(["+b", "+c"]);
  first.partition([[a], [b]]);
  run();
  expect(multi.peers()).toEqual([b, c]);
  expect(events).toEqual(["+b", "+c"]);
  second.partition([[a], [b, c]]);
  run();
  expect(multi.peers()).toEqual([]);
  expect(events).toEqual(["+b", "+c", "-b", "-c"]);
  first.heal();
  run();
  expect(events).toEqual(["+b", "+c", "-b", "-c", "+b"]);
});

test("frames go out on the first route, move to the other when it breaks, and come in from both", () => {
  const { first, multi, b1, b2, received, run } = setup();
  const onB1: number[] = [];
  const onB2: number[] = [];
  b1.onFrame((_, frame) => onB1.push(frame[0]!));
  b2.onFrame((_, frame) => onB2.push(frame[0]!));
  expect(multi.send(b, Uint8Array.of(1))).toBe("queued");
  run();
  expect([onB1, onB2]).toEqual([[1], []]);
  first.partition([[a], [b]]);
  run();
  expect(multi.send(b, Uint8Array.of(2))).toBe("queued");
  run();
  expect([onB1, onB2]).toEqual([[1], [2]]);
  b2.send(a, Uint8Array.of(7));
  run();
  expect(received).toEqual([[b, 7]]);
  expect(multi.stats().framesSent).toBe(2);
  expect(multi.stats().framesReceived).toBe(1);
});

test("send to an unknown peer is unreachable; after close, closed; close closes every route", async () => {
  const { multi, routes } = setup();
  expect(multi.send(replicaId("zz"), Uint8Array.of(1))).toBe("unreachable");
  await multi.close();
  expect(multi.send(b, Uint8Array.of(1))).toBe("closed");
  expect(multi.stats().framesDropped).toBe(2);
  for (const route of routes) expect(route.send(b, Uint8Array.of(1))).toBe("closed");
  expect(multi.close()).toBe(multi.close());
});

test("routes must speak for the same replica", () => {
  const network = new SimulatedNetwork({ seed: 3 });
  expect(() => new MultiTransport(a, [network.transport(a), network.transport(b)])).toThrow(
    InvalidArgumentError,
  );
});
