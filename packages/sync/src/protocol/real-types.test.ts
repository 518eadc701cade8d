import { HybridLogicalClock, replicaId } from "@convergent/clocks";
import { lwwRegister, set } from "@convergent/lww-register";
import fc from "fast-check";
import { expect, test } from "vitest";
import { Keyspace } from "../keyspace/keyspace.js";
import { TypeRegistry } from "../keyspace/registry.js";
import { answerSyncRequest, applySyncResponse, syncRequest } from "./fast-path.js";
import { decodeMessage, encodeMessage, type SyncRequest, type SyncResponse } from "./messages.js";

test("the fast path carries @convergent/lww-register states through frames", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.nat(30), fc.uint8Array({ maxLength: 20 })), {
        maxLength: 40,
      }),
      (writes) => {
        const registry = new TypeRegistry([lwwRegister]);
        const ids = [replicaId("a"), replicaId("b")] as const;
        const [a, b] = ids.map((replica) => new Keyspace({ replica, registry })) as [
          Keyspace,
          Keyspace,
        ];
        const clocks = ids.map((id) => new HybridLogicalClock(id));
        for (const [onB, k, bytes] of writes) {
          const clock = clocks[onB ? 1 : 0] as HybridLogicalClock;
          (onB ? b : a).update(`key/${k}`, lwwRegister, (s) => set(s, clock, bytes));
        }
        const ab = { sender: a.replica, receiver: b.replica };
        const ba = { sender: b.replica, receiver: a.replica };
        const requestA = decodeMessage(encodeMessage(syncRequest(a), registry, ab), registry, ab);
        const requestB = decodeMessage(encodeMessage(syncRequest(b), registry, ba), registry, ba);
        const toA = encodeMessage(answerSyncRequest(b, requestA as SyncRequest), registry, ba);
        const toB = encodeMessage(answerSyncRequest(a, requestB as SyncRequest), registry, ab);
        applySyncResponse(a, decodeMessage(toA, registry, ba) as SyncResponse);
        applySyncResponse(b, decodeMessage(toB, registry, ab) as SyncResponse);
        expect(a.size).toBe(b.size);
        for (const key of a.keys()) {
          expect(lwwRegister.equals(a.get(key)?.state as never, b.get(key)?.state as never)).toBe(
            true,
          );
        }
      },
    ),
    { numRuns: 150 },
  );
});

test("one changed key each way costs at most 1.05 x 52 + 64 bytes, the four frames together", () => {
  const registry = new TypeRegistry([lwwRegister]);
  const ids = [replicaId("replica-a"), replicaId("replica-b")] as const;
  const [a, b] = ids.map((replica) => new Keyspace({ replica, registry })) as [Keyspace, Keyspace];
  const [clockA, clockB] = ids.map((id) => new HybridLogicalClock(id)) as [
    HybridLogicalClock,
    HybridLogicalClock,
  ];
  const value = (seed: number) => Uint8Array.from({ length: 16 }, (_, i) => (seed + i * 7) & 0xff);
  for (let i = 0; i < 2000; i++)
    a.update(`key/${String(i).padStart(6, "0")}`, lwwRegister, (s) => set(s, clockA, value(i)));
  b.applyRemote(a.missing(b.context), a.context);
  a.update("key/000000", lwwRegister, (s) => set(s, clockA, value(1)));
  b.update("key/000001", lwwRegister, (s) => set(s, clockB, value(2)));
  const ab = { sender: a.replica, receiver: b.replica };
  const ba = { sender: b.replica, receiver: a.replica };
  const frames = [
    encodeMessage(syncRequest(a), registry, ab),
    encodeMessage(syncRequest(b), registry, ba),
    encodeMessage(answerSyncRequest(b, syncRequest(a)), registry, ba),
    encodeMessage(answerSyncRequest(a, syncRequest(b)), registry, ab),
  ];
  // The built-in tag is one byte: "lww-register" never appears in a frame.
  const text = new TextDecoder().decode(frames[2]);
  expect(text.includes("lww-register")).toBe(false);
  const total = frames.reduce((n, f) => n + f.length, 0);
  expect(total).toBeLessThanOrEqual(1.05 * 2 * (10 + 16) + 64);
  applySyncResponse(a, decodeMessage(frames[2] as Uint8Array, registry, ba) as SyncResponse);
  applySyncResponse(b, decodeMessage(frames[3] as Uint8Array, registry, ab) as SyncResponse);
  expect(answerSyncRequest(a, syncRequest(b)).entries).toEqual([]);
  expect(answerSyncRequest(b, syncRequest(a)).entries).toEqual([]);
});
