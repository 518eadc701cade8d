import { isReplicaId, replicaId } from "@convergent/clocks";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ClusterSecret, constantTimeEqual } from "./cluster-secret.js";
import {
  decodeHandshake,
  decodeHello,
  encodeAccepted,
  encodeHello,
  encodeProof,
  HANDSHAKE_VERSION,
  MAX_CREDENTIAL_BYTES,
  transcript,
} from "./handshake.js";

const validId = fc
  .string({ minLength: 1, maxLength: 64, unit: "grapheme" })
  .filter((s) => s.length <= 64 && isReplicaId(s));
const nonce = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe("hello", () => {
  test("round-trips every valid replica id and nonce, including non-ASCII ids", () => {
    fc.assert(
      fc.property(validId, nonce, fc.boolean(), (id, n, secret) => {
        const auth = secret ? "cluster-secret" : "none";
        expect(decodeHello(encodeHello(replicaId(id), { nonce: n, auth }))).toEqual({
          ok: true,
          party: "replica",
          auth,
          nonce: n,
          replica: id,
          credential: new Uint8Array(0),
        });
      }),
    );
  });

  test("a client party carries its bearer token in the hello (room for clients)", () => {
    const token = new TextEncoder().encode("eyJhbGciOiJIUzI1NiJ9.e30.sig");
    const hello = encodeHello(replicaId("tab-1"), {
      party: "client",
      auth: "bearer-token",
      credential: token,
    });
    expect(decodeHello(hello)).toMatchObject({ ok: true, party: "client", credential: token });
  });

  test("starts with the magic, the version and the kind", () => {
    expect([...encodeHello(replicaId("a")).subarray(0, 8)]).toEqual([
      0x43,
      0x56,
      0x53,
      0x59,
      HANDSHAKE_VERSION,
      1, // hello
      0, // replica
      0, // no authentication
    ]);
    expect(HANDSHAKE_VERSION).toBe(2);
  });

  test("rejects anything else without throwing", () => {
    const good = encodeHello(replicaId("alice"));
    const patched = (at: number, value: number) => {
      const copy = good.slice();
      copy[at] = value;
      return copy;
    };
    const cases: [string, Uint8Array][] = [
      ["empty", new Uint8Array(0)],
      ["header only", good.subarray(0, 6)],
      ["truncated", good.subarray(0, good.length - 3)],
      ["trailing bytes", Uint8Array.from([...good, 0])],
      ["wrong magic", patched(3, 0x58)],
      ["version 1", patched(4, 1)],
      ["unknown party", patched(6, 7)],
      ["unknown auth", patched(7, 9)],
      ["invalid UTF-8", patched(41, 0xff)],
      ["control character", encodeHello("a\n" as never)],
      ["id too long", encodeHello("x".repeat(65) as never)],
      ["far too long", new Uint8Array(20_000).fill(0x61)],
      [
        "replica with a token",
        encodeHello(replicaId("r"), { auth: "bearer-token", credential: Uint8Array.of(1) }),
      ],
      ["client without a token", encodeHello(replicaId("c"), { party: "client" })],
    ];
    for (const [name, bytes] of cases) {
      expect(decodeHello(bytes).ok, name).toBe(false);
      expect(decodeHandshake(bytes).ok, name).toBe(false);
    }
    expect(() =>
      encodeHello(replicaId("c"), { credential: new Uint8Array(MAX_CREDENTIAL_BYTES + 1) }),
    ).toThrow(RangeError);
  });

  test("arbitrary bytes never throw and decode only to valid ids", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => {
        const bytes = Uint8Array.from([0x43, 0x56, 0x53, 0x59, HANDSHAKE_VERSION, 1, ...tail]);
        const result = decodeHello(bytes);
        if (result.ok) expect(() => replicaId(result.replica)).not.toThrow();
        expect(() => decodeHandshake(bytes)).not.toThrow();
      }),
    );
  });
});

describe("proof and accepted", () => {
  test("a proof is exactly 32 bytes: truncated or padded proofs are malformed", () => {
    const proof = new Uint8Array(32).fill(9);
    expect(decodeHandshake(encodeProof(proof))).toEqual({ ok: true, kind: "proof", proof });
    expect(decodeHandshake(encodeProof(proof.subarray(0, 31))).ok).toBe(false);
    expect(decodeHandshake(encodeProof(new Uint8Array(0))).ok).toBe(false);
    expect(decodeHandshake(encodeProof(new Uint8Array(33))).ok).toBe(false);
    expect(decodeHandshake(encodeAccepted())).toEqual({ ok: true, kind: "accepted" });
    expect(decodeHandshake(Uint8Array.from([...encodeAccepted(), 0])).ok).toBe(false);
  });
});

describe("transcript and cluster secret", () => {
  const fields = {
    direction: "client-to-server" as const,
    party: "replica" as const,
    clientNonce: new Uint8Array(32).fill(1),
    serverNonce: new Uint8Array(32).fill(2),
    clientId: replicaId("a"),
    serverId: replicaId("b"),
  };

  test("differs by direction, by either nonce and by either id", () => {
    const base = transcript(fields);
    const variants = [
      transcript({ ...fields, direction: "server-to-client" }),
      transcript({ ...fields, clientNonce: new Uint8Array(32).fill(3) }),
      transcript({ ...fields, serverNonce: new Uint8Array(32).fill(3) }),
      transcript({ ...fields, clientId: replicaId("ab") }),
      transcript({ ...fields, clientId: replicaId("b"), serverId: replicaId("a") }),
    ];
    for (const variant of variants) expect(constantTimeEqual(base, variant)).toBe(false);
  });

  test("a proof verifies under the same secret only, and only for its own transcript", async () => {
    const secret = new ClusterSecret("s".repeat(32));
    const other = new ClusterSecret("t".repeat(32));
    const proof = await secret.prove(transcript(fields));
    expect(proof.length).toBe(32);
    expect(await secret.verify(transcript(fields), proof)).toBe(true);
    expect(await other.verify(transcript(fields), proof)).toBe(false);
    const reflected = transcript({ ...fields, direction: "server-to-client" });
    expect(await secret.verify(reflected, proof)).toBe(false);
    expect(await secret.verify(transcript(fields), proof.subarray(0, 31))).toBe(false);
  });

  test("secrets shorter than 32 bytes are refused", () => {
    expect(() => new ClusterSecret("x".repeat(31))).toThrow(/at least 32 bytes/);
    expect(() => new ClusterSecret(new Uint8Array(32))).not.toThrow();
  });

  test("constantTimeEqual compares lengths and every byte", () => {
    expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
