import { compareDots, containsDot, type Dot } from "@convergent/clocks";
import { DecodeError, type WireForm, type WirePlain, type WireReader } from "@convergent/core";
import { contextFromWire, contextToWire } from "./context-wire.js";
import { decodePlainValue } from "./decode-value.js";
import { dotKey, type MvRegisterState, type Sibling } from "./state.js";
import { expectArray, expectCounter, expectTuple } from "./wire-checks.js";

/**
 * Layout (version 1): `[vector, cloud, siblings]`, where vector and cloud are the causal context
 * (see context-wire.ts) and siblings is `[[replica, counter, value], ...]` sorted by dot.
 * Replicas are indices into the frame's replica table; values are canonical plain values.
 */
export const mvRegisterWire: WireForm<MvRegisterState> = {
  version: 1,
  toWire(state, writer) {
    const [vector, cloud] = contextToWire(state.context, writer);
    const siblings: WirePlain[] = [...state.siblings.values()]
      .sort((a, b) => compareDots(a.dot, b.dot))
      .map(({ dot, value }) => [writer.replica(dot.replica), dot.counter, value]);
    return [vector, cloud, siblings];
  },
  fromWire(plain, reader) {
    try {
      return decodeState(plain, reader);
    } catch (error) {
      if (error instanceof DecodeError) throw error;
      // Getters or proxies in hostile plain data can throw anything; the contract is DecodeError.
      throw new DecodeError("MALFORMED", "mv-register state could not be read", { cause: error });
    }
  },
};

function decodeState(plain: unknown, reader: WireReader): MvRegisterState {
  const [vectorPlain, cloudPlain, siblingsPlain] = expectTuple(plain, 3, "mv-register state");
  const context = contextFromWire(vectorPlain, cloudPlain, reader);
  const siblings = new Map<string, Sibling>();
  for (const entry of expectArray(siblingsPlain, "siblings", reader.limits.maxEntries)) {
    const [replicaPlain, counterPlain, valuePlain] = expectTuple(entry, 3, "sibling");
    const dot: Dot = {
      replica: reader.replica(replicaPlain),
      counter: expectCounter(counterPlain, "sibling counter"),
    };
    const key = dotKey(dot);
    if (siblings.has(key)) throw new DecodeError("MALFORMED", `two siblings have the dot ${key}`);
    // A sibling outside the context is unreachable and would make join keep stale writes.
    if (!containsDot(context, dot)) {
      throw new DecodeError("INVALID_VALUE", `sibling dot ${key} is not in the causal context`);
    }
    siblings.set(key, { dot, value: decodePlainValue(valuePlain, reader.limits) });
  }
  return { siblings, context };
}
