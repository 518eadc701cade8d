import { emptyCausalContext, replicaId } from "@convergent/clocks";
import { DEFAULT_DECODE_LIMITS, DecodeError } from "@convergent/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  assignRegister,
  fixtureCounter,
  fixtureRegister,
  incrementCounter,
} from "../keyspace/fixtures.js";
import { keyProblem } from "../keyspace/key.js";
import type { Keyspace } from "../keyspace/keyspace.js";
import { wholeStateDeltas } from "../keyspace/keyspace.js";
import { TypeRegistry } from "../keyspace/registry.js";
import {
  applyWrite,
  keyspaceImage,
  newKeyspace,
  sameContexts,
  type WriteOp,
} from "../keyspace/test-helpers.js";
import { answerSyncRequest, applySyncResponse, syncRequest } from "./fast-path.js";
import { decodeMessage, encodeMessage, type SyncMessage, type SyncResponse } from "./messages.js";

const writeOp = fc.record({
  key: fc.nat(20),
  counter: fc.boolean(),
  amount: fc.integer({ min: 1, max: 300 }),
});

function populated(id: string, ops: readonly WriteOp[]): Keyspace {
  const ks = newKeyspace(id);
  for (const [i, op] of ops.entries()) applyWrite(ks, op, i * 997);
  return ks;
}

/** The connection every frame in these tests travels on (a frame is bound to its two ends). */
const ENDS = { sender: replicaId("s"), receiver: replicaId("t") };

function roundTrip(message: SyncMessage, ks: Keyspace): SyncMessage {
  return decodeMessage(encodeMessage(message, ks.registry, ENDS), ks.registry, ENDS);
}

describe("frames", () => {
  test("every message kind survives a round trip", () => {
    fc.assert(
      fc.property(fc.array(writeOp, { maxLength: 40 }), (ops) => {
        const ks = populated("a", ops);
        const request = syncRequest(ks);
        expect(roundTrip(request, ks)).toEqual(request);
        const response = answerSyncRequest(ks, syncRequest(newKeyspace("b")));
        const decoded = roundTrip(response, ks) as SyncResponse;
        expect(decoded.context).toEqual(response.context);
        const target = newKeyspace("c");
        applySyncResponse(target, decoded);
        expect(keyspaceImage(target)).toEqual(keyspaceImage(ks));
        const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : 1);
        const entries = wholeStateDeltas(response.entries).sort(byKey);
        const push = { kind: "delta-push", seq: 7, deps: undefined, entries } as const;
        const back = roundTrip(push, ks);
        expect(back.kind === "delta-push" && [...back.entries].sort(byKey)).toEqual(entries);
        const causal = { kind: "delta-push", seq: 8, deps: ks.context, entries } as const;
        const causalBack = roundTrip(causal, ks);
        expect(causalBack.kind === "delta-push" && causalBack.deps).toEqual(decoded.context);
        expect(causalBack.kind === "delta-push" && [...causalBack.entries].sort(byKey)).toEqual(
          entries,
        );
        expect(roundTrip({ kind: "delta-ack", seq: 123456789 }, ks)).toEqual({
          kind: "delta-ack",
          seq: 123456789,
        });
        const digest = {
          kind: "merkle-digest",
          depth: 3,
          salt: 0xdeadbeef,
          level: 2,
          nodes: [
            [3, 0x01010101],
            [4, 0],
            [5, 0xffffffff],
            [200, 7],
          ],
        } as const;
        expect(roundTrip(digest, ks)).toEqual(digest);
        const keys = {
          kind: "merkle-keys",
          depth: 3,
          salt: 1,
          level: 3,
          nodes: [
            [0, [5, 5, 0xfffffffe]],
            [4095, []],
          ],
        } as const;
        expect(roundTrip(keys, ks)).toEqual(keys);
        const repair = {
          kind: "merkle-entries",
          depth: 3,
          salt: 0,
          level: 3,
          nodes: [0, 17, 4095],
          want: [1, 2, 0x80000000],
          entries: [],
        } as const;
        expect(roundTrip(repair, ks)).toEqual(repair);
      }),
      { numRuns: 100 },
    );
  });

  test("keys of any script survive front coding", () => {
    const key = fc
      .oneof(
        fc.string({ maxLength: 6 }),
        fc.string({ unit: "binary", maxLength: 6 }),
        fc.constantFrom("é", "éa", "a", "ab", "\u{1F600}"),
      )
      .filter((k) => keyProblem(k) === undefined);
    fc.assert(
      fc.property(fc.uniqueArray(key, { maxLength: 30 }), (keys) => {
        const ks = newKeyspace("a");
        for (const [i, k] of keys.entries()) {
          ks.update(k, fixtureCounter, (s, r) => incrementCounter(s, r, i + 1));
        }
        const decoded = roundTrip(
          answerSyncRequest(ks, syncRequest(newKeyspace("b"))),
          ks,
        ) as SyncResponse;
        expect(decoded.entries.map((e) => e.key).sort()).toEqual([...keys].sort());
      }),
      { numRuns: 200 },
    );
  });

  test("the fast path moves both directions in one exchange of four frames", () => {
    fc.assert(
      fc.property(
        fc.array(writeOp, { maxLength: 40 }),
        fc.array(writeOp, { maxLength: 40 }),
        (opsA, opsB) => {
          const a = populated(
            "a",
            opsA.map((op) => ({ ...op, key: op.key * 2 })),
          );
          const b = populated(
            "b",
            opsB.map((op) => ({ ...op, key: op.key * 2 + 1 })),
          );
          const toB = roundTrip(syncRequest(a), b);
          const toA = roundTrip(syncRequest(b), a);
          const fromB = roundTrip(answerSyncRequest(b, toB as never), a);
          const fromA = roundTrip(answerSyncRequest(a, toA as never), b);
          applySyncResponse(a, fromB as SyncResponse);
          applySyncResponse(b, fromA as SyncResponse);
          expect(keyspaceImage(a)).toEqual(keyspaceImage(b));
          expect(sameContexts(a, b)).toBe(true);
          expect(answerSyncRequest(a, syncRequest(b)).entries).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("hostile frames", () => {
  const source = newKeyspace("a");
  source.update("x", fixtureCounter, (s, r) => incrementCounter(s, r, 3));
  source.update("y", fixtureRegister, (s, r) =>
    assignRegister(s, r, 10, 1, new Uint8Array([1, 2])),
  );
  const good = encodeMessage(
    answerSyncRequest(source, syncRequest(newKeyspace("b"))),
    source.registry,
    ENDS,
  );

  function rejects(
    frame: Uint8Array,
    reason: DecodeError["reason"],
    limits = DEFAULT_DECODE_LIMITS,
  ): void {
    try {
      decodeMessage(frame, source.registry, ENDS, limits);
    } catch (error) {
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as DecodeError).reason).toBe(reason);
      return;
    }
    throw new Error("frame was accepted");
  }

  test("named malformations are refused with their reason", () => {
    rejects(new Uint8Array([]), "TRUNCATED");
    rejects(Uint8Array.of(0x21, ...good.subarray(1)), "UNSUPPORTED_VERSION");
    // A version 1 frame (version in the high nibble) is refused by version, not misread.
    rejects(Uint8Array.of(0x11, 0, 1, 0, 4, 0), "UNSUPPORTED_VERSION");
    rejects(Uint8Array.of((good[0] as number) | 0x0f, ...good.subarray(1)), "MALFORMED");
    rejects(Uint8Array.of(...good, 0), "TRAILING_BYTES");
    rejects(good.subarray(0, good.length - 1), "TRUNCATED");
    rejects(good, "LIMIT_EXCEEDED", { ...DEFAULT_DECODE_LIMITS, maxFrameBytes: 10 });
    rejects(good, "LIMIT_EXCEEDED", { ...DEFAULT_DECODE_LIMITS, maxEntries: 1 });
  });

  test("built-in tags travel only as codes, and plain values only in their shortest form", () => {
    // Written by the frame's sender, so the state names only index 0 and no table is needed.
    const ks = newKeyspace("s");
    ks.update("k", fixtureCounter, (st, r) => incrementCounter(st, r, 1));
    const registry = new TypeRegistry([fixtureCounter, { ...fixtureCounter, name: "g-counter" }]);
    const entry = { key: "k", tag: "g-counter", state: ks.get("k")?.state, dots: [] };
    const frame = encodeMessage(
      { kind: "read-response", id: 1, context: emptyCausalContext(), entries: [entry] },
      registry,
      ENDS,
    );
    // header, id, empty context, one group, code 1 ("g-counter"), one entry, key "k".
    expect([...frame.subarray(0, 8)]).toEqual([0x48, 1, 0, 1, 1, 1, 1, 0x6b]);
    expect(decodeMessage(frame, registry, ENDS)).toMatchObject({ entries: [{ tag: "g-counter" }] });
    const spelled = Uint8Array.of(0x48, 1, 0, 1, 0, 9, ...new TextEncoder().encode("g-counter"));
    const rejectsWith = (bytes: Uint8Array, reason: DecodeError["reason"]) =>
      expect(() => decodeMessage(bytes, registry, ENDS)).toThrow(
        expect.objectContaining({ reason }),
      );
    rejectsWith(Uint8Array.of(...spelled, ...frame.subarray(5)), "MALFORMED");
    rejectsWith(Uint8Array.of(0x48, 1, 0, 1, 99, ...frame.subarray(5)), "LIMIT_EXCEEDED");
    // A plain uint below 31 written with a varint argument is a second encoding: refused.
    const counterAt = frame.indexOf(0x20 | 1, 9);
    expect(counterAt).toBeGreaterThan(0);
    const padded = Uint8Array.of(
      ...frame.subarray(0, counterAt),
      0x20 | 31,
      1,
      ...frame.subarray(counterAt + 1),
    );
    rejectsWith(padded, "MALFORMED");
  });

  test("a frame naming an unregistered type is refused", () => {
    expect(() => decodeMessage(good, new TypeRegistry([fixtureCounter]), ENDS)).toThrow(
      /not registered/,
    );
  });

  test("random corruption never throws anything but DecodeError and never changes a keyspace", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat(good.length),
        (edits, cut) => {
          const frame = good.slice(0, Math.max(1, cut === 0 ? good.length : cut));
          for (const [at, value] of edits) if (at < frame.length) frame[at] = value;
          const target = newKeyspace("b");
          target.update("x", fixtureRegister, (s, r) =>
            assignRegister(s, r, 1, 1, new Uint8Array([9])),
          );
          const before = keyspaceImage(target);
          let message: SyncMessage;
          try {
            message = decodeMessage(frame, target.registry, ENDS);
          } catch (error) {
            expect(error).toBeInstanceOf(DecodeError);
            expect(keyspaceImage(target)).toEqual(before);
            return;
          }
          if (message.kind !== "sync-response") return;
          try {
            applySyncResponse(target, message);
          } catch {
            // A conflicting tag is refused whole.
            expect(keyspaceImage(target)).toEqual(before);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test("replica ids come from the table and are validated there", () => {
    const request = encodeMessage(
      {
        kind: "sync-request",
        context: { versionVector: new Map([[replicaId("r"), 5]]), cloud: new Map() },
      },
      source.registry,
      ENDS,
    );
    // header (version 2, table present, kind 1), table size 1 written as 0, id length 1, "r",
    // 2 * vector length + no cloud, index 2 (0 and 1 are the sender and receiver), counter 5
    expect([...request]).toEqual([0x51, 0, 1, 0x72, 2, 2, 5]);
    rejects(Uint8Array.of(0x51, 0, 1, 0x72, 2, 3, 5), "INVALID_VALUE");
    rejects(Uint8Array.of(0x51, 0, 1, 0x07, 2, 2, 5), "INVALID_VALUE");
    rejects(Uint8Array.of(0x51, 1, 1, 0x72, 1, 0x72, 0), "MALFORMED");
    // The table must not repeat an endpoint: "s" is the sender.
    rejects(Uint8Array.of(0x51, 0, 1, 0x73, 0), "MALFORMED");
    rejects(Uint8Array.of(0x51, 0, 1, 0x72, 2, 2, 0), "INVALID_VALUE");
    // Index 0 is the sender the connection names, whatever the frame says.
    expect(decodeMessage(Uint8Array.of(0x41, 2, 0, 4), source.registry, ENDS)).toEqual({
      kind: "sync-request",
      context: { versionVector: new Map([["s", 4]]), cloud: new Map() },
    });
    expect(decodeMessage(Uint8Array.of(0x41, 0), source.registry, ENDS)).toEqual({
      kind: "sync-request",
      context: emptyCausalContext(),
    });
    // A cloud flagged present must hold a replica with at least one dot.
    expect(decodeMessage(Uint8Array.of(0x41, 1, 0, 0, 1, 3), source.registry, ENDS)).toEqual({
      kind: "sync-request",
      context: { versionVector: new Map(), cloud: new Map([["s", new Set([3])]]) },
    });
    rejects(Uint8Array.of(0x41, 1, 0, 0, 0), "MALFORMED");
  });
});
