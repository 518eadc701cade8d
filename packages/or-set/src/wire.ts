import {
  type CausalContext,
  compareDots,
  compareReplicaIds,
  containsDot,
  type Dot,
  emptyCausalContext,
  type MutableCausalContext,
  type ReplicaId,
} from "@convergent/clocks";
import {
  DecodeError,
  type DecodeLimits,
  type WireForm,
  type WirePlain,
  type WireReader,
} from "@convergent/core";
import { buildDotIndex } from "./dot-index.js";
import { compareKeys, type ElementKey } from "./element.js";
import { dotList, type ElementDots, isSingleDot } from "./element-dots.js";
import type { ElementModel } from "./element-model.js";
import { elementAt, makeState, type OrSetState } from "./state.js";

/**
 * Wire layout, version 1 (the context as in mv-register): `[vector, cloud, entries]`, where
 * - vector: `[[replica, counter], ...]`, replicas ascending;
 * - cloud: `[[replica, [counter, ...]], ...]`, replicas ascending, counters ascending, each at
 *   least two above the replica's vector entry (the compacted form);
 * - entries: `[[element, [replica, counter, replica, counter, ...]], ...]`, ascending by key
 *   (numbers before strings), each element's dots ascending by (replica id, counter).
 * Replicas are `writer.replica` indices. The decoder accepts only this canonical form.
 */
export function makeWireForm<E>(model: ElementModel<E>): WireForm<OrSetState<E>> {
  return {
    version: 1,
    toWire(state, writer) {
      const replica = (id: ReplicaId) => writer.replica(id);
      const { versionVector, cloud } = state.context;
      const vector: WirePlain[] = sortedReplicas(versionVector.keys()).map((id) => [
        replica(id),
        versionVector.get(id) as number,
      ]);
      const clouds: WirePlain[] = sortedReplicas(cloud.keys()).map((id) => [
        replica(id),
        [...(cloud.get(id) as ReadonlySet<number>)].sort((x, y) => x - y),
      ]);
      const entries: WirePlain[] = [...state.entries.keys()].sort(compareKeys).map((key) => {
        const element = model.toWire(elementAt(state, key));
        const held = state.entries.get(key) as ElementDots;
        // Almost every element holds one dot: skip the copy, sort and flatMap for it.
        if (isSingleDot(held)) return [element, [replica(held.replica), held.counter]];
        const dots = [...dotList(held)].sort(compareDots);
        return [element, dots.flatMap((d) => [replica(d.replica), d.counter])];
      });
      return [vector, clouds, entries];
    },
    fromWire(plain, reader) {
      try {
        return decode(model, plain, reader);
      } catch (error) {
        if (error instanceof DecodeError) throw error;
        throw new DecodeError("MALFORMED", `or-set state could not be decoded: ${String(error)}`, {
          cause: error,
        });
      }
    },
  };
}

function sortedReplicas(ids: Iterable<ReplicaId>): ReplicaId[] {
  return [...ids].sort(compareReplicaIds);
}

function decode<E>(model: ElementModel<E>, plain: unknown, reader: WireReader): OrSetState<E> {
  const parts = array(plain, "an or-set state");
  if (parts.length !== 3) {
    throw new DecodeError("MALFORMED", `an or-set state has 3 parts, got ${parts.length}`);
  }
  const context = emptyCausalContext();
  decodeVector(parts[0], reader, context);
  decodeCloud(parts[1], reader, context);
  const entries = new Map<ElementKey, ElementDots>();
  const elements = model.keyed ? new Map<ElementKey, E>() : undefined;
  const list = collection(parts[2], "entries", reader.limits);
  let previous: ElementKey | undefined;
  for (const item of list) {
    const [elementPlain, dotsPlain] = tuple(item, "an entry");
    const { element, key } = model.fromWire(elementPlain, reader.limits);
    if (previous !== undefined && compareKeys(previous, key) >= 0) {
      throw new DecodeError("INVALID_VALUE", "elements are duplicated or not in canonical order");
    }
    previous = key;
    const dots = decodeDots(dotsPlain, reader, context);
    entries.set(key, dots.length === 1 ? (dots[0] as Dot) : dots);
    elements?.set(key, element);
  }
  const state = makeState(entries, elements, context);
  // Built in bulk (entries arrive in key order, not counter order), which also finds a dot
  // that sits on two elements.
  state.dotIndex = buildDotIndex(entries, (d) => {
    throw new DecodeError("INVALID_VALUE", `dot ${d.replica}:${d.counter} is on two elements`);
  });
  return state;
}

function decodeVector(plain: unknown, reader: WireReader, context: MutableCausalContext): void {
  let previous: ReplicaId | undefined;
  for (const item of collection(plain, "version vector", reader.limits)) {
    const [index, count] = tuple(item, "a vector entry");
    const replica = reader.replica(index);
    if (previous !== undefined && compareReplicaIds(previous, replica) >= 0) {
      throw new DecodeError("INVALID_VALUE", "version vector replicas are duplicated or unsorted");
    }
    previous = replica;
    context.versionVector.set(replica, counter(count));
  }
}

function decodeCloud(plain: unknown, reader: WireReader, context: MutableCausalContext): void {
  let total = 0;
  let previous: ReplicaId | undefined;
  for (const item of collection(plain, "cloud", reader.limits)) {
    const [index, countersPlain] = tuple(item, "a cloud entry");
    const replica = reader.replica(index);
    if (previous !== undefined && compareReplicaIds(previous, replica) >= 0) {
      throw new DecodeError("INVALID_VALUE", "cloud replicas are duplicated or unsorted");
    }
    previous = replica;
    const counters = array(countersPlain, "cloud counters");
    total += counters.length;
    if (total > reader.limits.maxEntries) {
      throw new DecodeError(
        "LIMIT_EXCEEDED",
        `cloud holds more than ${reader.limits.maxEntries} dots`,
      );
    }
    if (counters.length === 0) throw new DecodeError("INVALID_VALUE", "empty cloud entry");
    // Only the compacted form (above the vector with a gap, strictly ascending) is accepted:
    // re-compacting arbitrary input dot by dot would be quadratic in the cloud size.
    let floor = (context.versionVector.get(replica) ?? 0) + 1;
    const set = new Set<number>();
    for (const raw of counters) {
      const c = counter(raw);
      if (c <= floor) throw new DecodeError("INVALID_VALUE", "cloud is not compacted and sorted");
      set.add(c);
      floor = c;
    }
    context.cloud.set(replica, set);
  }
}

function decodeDots(plain: unknown, reader: WireReader, context: CausalContext): Dot[] {
  const flat = pairs(plain, "element dots", reader.limits);
  if (flat.length === 0) throw new DecodeError("INVALID_VALUE", "an element has no dots");
  const dots: Dot[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const d: Dot = { replica: reader.replica(flat[i]), counter: counter(flat[i + 1]) };
    const before = dots[dots.length - 1];
    if (before !== undefined && compareDots(before, d) >= 0) {
      throw new DecodeError("INVALID_VALUE", "an element's dots are duplicated or unsorted");
    }
    if (!containsDot(context, d)) {
      throw new DecodeError(
        "INVALID_VALUE",
        `dot ${d.replica}:${d.counter} is outside the context`,
      );
    }
    dots.push(d);
  }
  return dots;
}

function array(plain: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(plain)) throw new DecodeError("WRONG_TYPE", `${what} must be an array`);
  return plain;
}

function collection(plain: unknown, what: string, limits: DecodeLimits): readonly unknown[] {
  const list = array(plain, what);
  if (list.length > limits.maxEntries) {
    throw new DecodeError("LIMIT_EXCEEDED", `${what} has more than ${limits.maxEntries} entries`);
  }
  return list;
}

function tuple(plain: unknown, what: string): readonly [unknown, unknown] {
  const pair = array(plain, what);
  if (pair.length !== 2) throw new DecodeError("MALFORMED", `${what} must have 2 parts`);
  return pair as readonly [unknown, unknown];
}

/** A flat array of pairs, within the entry limit. */
function pairs(plain: unknown, what: string, limits: DecodeLimits): readonly unknown[] {
  const flat = array(plain, what);
  if (flat.length % 2 !== 0) throw new DecodeError("MALFORMED", `${what} must hold pairs`);
  if (flat.length / 2 > limits.maxEntries) {
    throw new DecodeError("LIMIT_EXCEEDED", `${what} has more than ${limits.maxEntries} entries`);
  }
  return flat;
}

function counter(plain: unknown): number {
  if (typeof plain !== "number") throw new DecodeError("WRONG_TYPE", "a counter must be a number");
  if (!Number.isSafeInteger(plain) || plain < 1) {
    throw new DecodeError(
      "INVALID_VALUE",
      `a counter must be a positive safe integer, got ${plain}`,
    );
  }
  return plain;
}
