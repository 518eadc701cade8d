import { replicaId } from "@convergent/clocks";
import type { DecodeErrorCode } from "@convergent/core";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { FORMAT_VERSION, FrameKind, MAGIC } from "./envelope.js";
import { createCodec } from "./index.js";
import { type LwwMap, put, testCounter, testLwwMap } from "./test-support/fixture-types.js";
import { plainArbitrary } from "./test-support/frames.js";
import { checkFrame, FuzzTally, fuzzSeeds } from "./test-support/fuzz-harness.js";
import { mutationArbitrary } from "./test-support/mutations.js";

// Tight limits, so that mutations reach LIMIT_EXCEEDED as well as the structural errors.
const options = {
  types: [testCounter, testLwwMap],
  limits: { maxEntries: 40, maxStringLength: 90, maxDepth: 10, maxReplicas: 6 },
};
const codec = createCodec({ ...options, verifyCanonical: true });
// The default: frames are not compared with their re-encoding.
const lenient = createCodec(options);
const replicas = ["alice", "bob", "carol", "dave"].map(replicaId);

const lwwMapArbitrary: fc.Arbitrary<LwwMap> = fc
  .array(
    fc.record({
      at: fc.constantFrom(...replicas),
      key: fc.constantFrom("a", "b", "10", "9", "prototypd", "ü"),
      value: plainArbitrary,
    }),
    { maxLength: 8 },
  )
  .map((ops) =>
    ops.reduce((s, o) => testLwwMap.join(s, put(s, o.at, o.key, o.value)), testLwwMap.empty()),
  );
const counterArbitrary = fc
  .array(
    fc.tuple(fc.constantFrom(...replicas), fc.oneof(fc.nat({ max: 300 }), fc.maxSafeInteger())),
  )
  .map((entries) => new Map(entries.filter(([, n]) => n > 0)));

const encodable =
  <T>(encode: (value: T) => Uint8Array) =>
  (value: T): Uint8Array[] => {
    try {
      return [encode(value)];
    } catch {
      return []; // over the tight limits
    }
  };
const stateSeeds = [
  ...fc
    .sample(lwwMapArbitrary, { numRuns: 60, seed: 1 })
    .flatMap(encodable((s) => codec.encode(testLwwMap, s))),
  ...fc
    .sample(counterArbitrary, { numRuns: 20, seed: 2 })
    .flatMap(encodable((s) => codec.encode(testCounter, s))),
];
const plainSeeds = fc
  .sample(plainArbitrary, { numRuns: 60, seed: 3 })
  .flatMap(encodable((v) => codec.encodePlain(v)));

const tally = new FuzzTally();
const LONG = 60_000;

describe("fuzzing: every mutated frame is rejected with a DecodeError or re-encodes to itself", () => {
  test("seed corpus", () => {
    expect(stateSeeds.length).toBeGreaterThan(50);
    expect(plainSeeds.length).toBeGreaterThan(40);
    for (const seed of stateSeeds) checkFrame(codec, seed, "state", tally);
    expect(tally.accepted).toBe(stateSeeds.length);
  });

  test(
    "state frames, one mutation (40,000 cases)",
    () => {
      fuzzSeeds(codec, stateSeeds, "state", tally, { numRuns: 40_000 });
    },
    LONG,
  );

  test(
    "state frames, two to four stacked mutations (20,000 cases)",
    () => {
      fuzzSeeds(codec, stateSeeds, "state", tally, { numRuns: 20_000, maxMutations: 4 });
    },
    LONG,
  );

  test(
    "state frames, inflated length prefixes (10,000 cases)",
    () => {
      const inflation = mutationArbitrary.filter((m) => m.kind === "inflate");
      fuzzSeeds(codec, stateSeeds, "state", tally, { numRuns: 10_000, mutations: inflation });
    },
    LONG,
  );

  test(
    "plain frames, one to three mutations (15,000 cases)",
    () => {
      fuzzSeeds(codec, plainSeeds, "plain", tally, { numRuns: 15_000, maxMutations: 3 });
    },
    LONG,
  );

  test(
    "random bytes, bare and behind a valid header (20,000 cases)",
    () => {
      const header = (kind: number) => [...MAGIC, FORMAT_VERSION, kind];
      const body = fc.uint8Array({ maxLength: 48 });
      fc.assert(
        fc.property(body, fc.constantFrom(FrameKind.STATE, FrameKind.PLAIN, -1), (bytes, kind) => {
          const frame = kind === -1 ? bytes : new Uint8Array([...header(kind), ...bytes]);
          checkFrame(codec, frame, kind === FrameKind.PLAIN ? "plain" : "state", tally);
        }),
        { numRuns: 20_000, seed: 4 },
      );
    },
    LONG,
  );

  afterAll(() => {
    expect(tally.nonCanonical).toBe(0);
    // The fuzz must have reached every layer: accepted frames and each kind of rejection.
    expect(tally.cases).toBeGreaterThanOrEqual(100_000);
    expect(tally.accepted).toBeGreaterThan(1000);
    const reached: DecodeErrorCode[] = [
      "BAD_MAGIC",
      "UNSUPPORTED_VERSION",
      "TRUNCATED",
      "TRAILING_BYTES",
      "MALFORMED",
      "WRONG_TYPE",
      "INVALID_VALUE",
      "UNKNOWN_TYPE",
      "LIMIT_EXCEEDED",
    ];
    for (const reason of reached)
      expect(tally.rejected.get(reason) ?? 0, reason).toBeGreaterThan(0);
  });
});

describe("fuzzing without the canonical check: every accepted frame re-encodes canonically", () => {
  const lenientTally = new FuzzTally();

  test(
    "state frames, one to four mutations (15,000 cases)",
    () => {
      expect(lenient.verifyCanonical).toBe(false);
      fuzzSeeds(lenient, stateSeeds, "state", lenientTally, { numRuns: 15_000, maxMutations: 4 });
    },
    LONG,
  );

  test(
    "plain frames, one to three mutations (10,000 cases)",
    () => {
      fuzzSeeds(lenient, plainSeeds, "plain", lenientTally, { numRuns: 10_000, maxMutations: 3 });
    },
    LONG,
  );

  afterAll(() => {
    // Some mutations must have produced frames only the lenient codec accepts, or the property
    // above was never exercised.
    expect(lenientTally.accepted).toBeGreaterThan(1000);
    expect(lenientTally.nonCanonical).toBeGreaterThan(10);
  });
});
