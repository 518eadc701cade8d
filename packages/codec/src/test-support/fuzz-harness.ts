import {
  DecodeError,
  type DecodeErrorCode,
  equalPlainValues,
  type WirePlain,
} from "@convergent/core";
import fc from "fast-check";
import { type AnyCrdtType, type CodecRegistry, createCodec } from "../registry.js";
import { type Mutation, mutate, mutationArbitrary } from "./mutations.js";

/** What a fuzz run saw: how often each reason rejected a frame, and how many were accepted. */
export class FuzzTally {
  readonly rejected = new Map<DecodeErrorCode, number>();
  accepted = 0;
  /** Accepted frames that were not canonical (only a codec without verifyCanonical takes them). */
  nonCanonical = 0;
  cases = 0;
}

/**
 * The fuzz property for one candidate frame: decoding either throws a DecodeError, or returns a
 * state the type accepts (or plain data) whose encoding is canonical. With verifyCanonical the
 * encoding must be the frame itself; without, it may differ (the frame was accepted though not
 * canonical), but a strict codec must accept it, decode it to an equal value and re-encode it to
 * itself. Anything else fails.
 */
export function checkFrame(
  codec: CodecRegistry,
  bytes: Uint8Array,
  kind: "state" | "plain",
  tally: FuzzTally,
): void {
  tally.cases++;
  let decoded: Decoded;
  try {
    decoded = decodeChecked(codec, bytes, kind);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    tally.rejected.set(error.reason, (tally.rejected.get(error.reason) ?? 0) + 1);
    return;
  }
  tally.accepted++;
  if (sameBytes(decoded.reencoded, bytes)) return;
  if (codec.verifyCanonical) throw new Error("an accepted frame does not re-encode to itself");
  tally.nonCanonical++;
  let again: Decoded;
  try {
    again = decodeChecked(strictTwin(codec), decoded.reencoded, kind);
  } catch (error) {
    throw new Error("a strict codec rejects the re-encoding of an accepted frame", {
      cause: error,
    });
  }
  if (!sameBytes(again.reencoded, decoded.reencoded)) {
    throw new Error("the re-encoding of an accepted frame is not canonical");
  }
  const equal =
    decoded.type === undefined
      ? equalPlainValues(decoded.value as never, again.value as never)
      : again.type === decoded.type && decoded.type.equals(again.value, decoded.value);
  if (!equal) throw new Error("the re-encoding of an accepted frame decodes to another value");
}

interface Decoded {
  readonly type: AnyCrdtType | undefined;
  readonly value: unknown;
  readonly reencoded: Uint8Array;
}

function decodeChecked(codec: CodecRegistry, bytes: Uint8Array, kind: "state" | "plain"): Decoded {
  if (kind === "plain") {
    const value: WirePlain = codec.decodePlain(bytes);
    return { type: undefined, value, reencoded: codec.encodePlain(value) };
  }
  const { type, state } = codec.decode(bytes);
  // A state the type could reach survives its own join and comparison.
  if (!type.equals(type.join(state, type.empty()), state)) {
    throw new Error(`decoded ${type.name} state is not equal to its join with empty`);
  }
  return { type, value: state, reencoded: codec.encode(type, state) };
}

const twins = new WeakMap<CodecRegistry, CodecRegistry>();

/** The same types and limits, with the canonical check on. */
function strictTwin(codec: CodecRegistry): CodecRegistry {
  let twin = twins.get(codec);
  if (twin === undefined) {
    const types = codec.tags().map((tag) => codec.get(tag) as AnyCrdtType);
    twin = createCodec({ types, limits: codec.limits, verifyCanonical: true });
    twins.set(codec, twin);
  }
  return twin;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
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
