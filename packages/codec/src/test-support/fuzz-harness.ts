import { DecodeError, type DecodeErrorCode } from "@convergent/core";
import fc from "fast-check";
import type { CodecRegistry } from "../registry.js";
import { type Mutation, mutate, mutationArbitrary } from "./mutations.js";

/** What a fuzz run saw: how often each reason rejected a frame, and how many were accepted. */
export class FuzzTally {
  readonly rejected = new Map<DecodeErrorCode, number>();
  accepted = 0;
  cases = 0;
}

/**
 * The fuzz property for one candidate frame: decoding either throws a DecodeError, or returns a
 * state the type accepts that re-encodes to exactly the same bytes. Anything else fails.
 */
export function checkFrame(
  codec: CodecRegistry,
  bytes: Uint8Array,
  kind: "state" | "plain",
  tally: FuzzTally,
): void {
  tally.cases++;
  let reencoded: Uint8Array;
  try {
    if (kind === "plain") {
      reencoded = codec.encodePlain(codec.decodePlain(bytes));
    } else {
      const { type, state } = codec.decode(bytes);
      // A state the type could reach survives its own join and comparison.
      if (!type.equals(type.join(state, type.empty()), state)) {
        throw new Error(`decoded ${type.name} state is not equal to its join with empty`);
      }
      reencoded = codec.encode(type, state);
    }
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    tally.rejected.set(error.reason, (tally.rejected.get(error.reason) ?? 0) + 1);
    return;
  }
  tally.accepted++;
  if (reencoded.length !== bytes.length || reencoded.some((b, i) => b !== bytes[i])) {
    throw new Error("an accepted frame does not re-encode to the same bytes");
  }
}

/** Mutates seed frames (1 to `maxMutations` stacked mutations) and checks every result. */
export function fuzzSeeds(
  codec: CodecRegistry,
  seeds: readonly Uint8Array[],
  kind: "state" | "plain",
  tally: FuzzTally,
  options: { numRuns: number; maxMutations?: number; mutations?: fc.Arbitrary<Mutation> },
): void {
  const pick = fc.nat({ max: seeds.length - 1 });
  const mutations = fc.array(options.mutations ?? mutationArbitrary, {
    minLength: 1,
    maxLength: options.maxMutations ?? 1,
  });
  fc.assert(
    fc.property(pick, pick, mutations, (seed, donor, steps) => {
      let bytes = seeds[seed] as Uint8Array;
      for (const step of steps) bytes = mutate(bytes, step, seeds[donor] as Uint8Array);
      checkFrame(codec, bytes, kind, tally);
    }),
    { numRuns: options.numRuns, seed: 0x5eed + options.numRuns },
  );
}
