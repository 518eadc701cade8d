import { isReplicaId, replicaId } from "@convergent/clocks";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodeHello, encodeHello, HANDSHAKE_VERSION } from "./handshake.js";

const validId = fc
  .string({ minLength: 1, maxLength: 64, unit: "grapheme" })
  .filter((s) => s.length <= 64 && isReplicaId(s));

describe("hello", () => {
  test("round-trips every valid replica id, including non-ASCII ones", () => {
    fc.assert(
      fc.property(validId, (id) => {
        expect(decodeHello(encodeHello(replicaId(id)))).toEqual({ ok: true, replica: id });
      }),
    );
  });

  test("starts with the magic and the version", () => {
    expect([...encodeHello(replicaId("a"))]).toEqual([
      0x43,
      0x56,
      0x53,
      0x59,
      HANDSHAKE_VERSION,
      0x61,
    ]);
  });

  test("rejects anything else without throwing", () => {
    const good = encodeHello(replicaId("alice"));
    const withVersion = (v: number) => Uint8Array.from([...good.subarray(0, 4), v, 0x61]);
    const cases: [string, Uint8Array][] = [
      ["empty", new Uint8Array(0)],
      ["header only (empty id)", good.subarray(0, 5)],
      ["wrong magic", Uint8Array.from([0x43, 0x56, 0x53, 0x58, 1, 0x61])],
      ["other version", withVersion(2)],
      ["invalid UTF-8", Uint8Array.from([...good.subarray(0, 5), 0xff, 0xfe])],
      ["control character", Uint8Array.from([...good.subarray(0, 5), 0x61, 0x0a])],
      ["id too long", encodeHelloRaw("x".repeat(65))],
      ["far too long", new Uint8Array(10_000).fill(0x61)],
    ];
    for (const [name, bytes] of cases) {
      const result = decodeHello(bytes);
      expect(result.ok, name).toBe(false);
    }
  });

  test("arbitrary bytes never throw and decode only to valid ids", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => {
        const bytes = Uint8Array.from([0x43, 0x56, 0x53, 0x59, HANDSHAKE_VERSION, ...tail]);
        const result = decodeHello(bytes);
        if (result.ok) expect(() => replicaId(result.replica)).not.toThrow();
      }),
    );
  });
});

function encodeHelloRaw(id: string): Uint8Array {
  return Uint8Array.from([
    0x43,
    0x56,
    0x53,
    0x59,
    HANDSHAKE_VERSION,
    ...new TextEncoder().encode(id),
  ]);
}
