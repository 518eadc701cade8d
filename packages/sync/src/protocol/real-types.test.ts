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
