import { DecodeError, type WireForm, type WireReader } from "@convergent/core";
import type { Embedded, EmbeddedType } from "./embedded.js";
import { decodePresence, presenceWire } from "./presence-wire.js";
import { MAX_OR_MAP_DEPTH, type OrMapState } from "./state.js";
import { checkEntries, decoding, hasLoneSurrogate } from "./wire-checks.js";

type Lookup = (tag: string) => EmbeddedType<unknown, unknown> | undefined;

/**
 * `[name, tag, presence, state, name, tag, presence, state, ...]`, flat, one quadruple per
 * field, in ascending order of name then tag (UTF-16 code units); `presence` is the presence
 * wire form and `state` the field type's own wire form (a nested map's is this layout again).
 * The decoder accepts only that order (so no duplicates), known tags, no field that holds
 * nothing, at most `limits.maxEntries` fields per map and MAX_OR_MAP_DEPTH nested maps, the
 * depth checked before descending.
 */
export function makeOrMapWire(tag: string, lookup: Lookup): WireForm<OrMapState> {
  const toWire: WireForm<OrMapState>["toWire"] = (state, writer) => {
    const plain: unknown[] = [];
    for (const name of [...state.keys()].sort()) {
      const tags = state.get(name) as Map<string, Embedded<unknown>>;
      for (const fieldTag of [...tags.keys()].sort()) {
        const entry = tags.get(fieldTag) as Embedded<unknown>;
        const field = lookup(fieldTag) as EmbeddedType<unknown, unknown>;
        plain.push(
          name,
          fieldTag,
          presenceWire.toWire(entry.presence, writer),
          field.inner.wire.toWire(entry.state, writer),
        );
      }
    }
    return plain as never;
  };

  const decode = (plain: unknown, reader: WireReader, depth: number): OrMapState => {
    if (!Array.isArray(plain)) throw new DecodeError("WRONG_TYPE", `${tag} must be an array`);
    if (plain.length % 4 !== 0) {
      throw new DecodeError("MALFORMED", `${tag} must hold [name, tag, presence, state] fields`);
    }
    checkEntries(tag, plain.length / 4, reader.limits);
    const state: OrMapState = new Map();
    let previousName: string | undefined;
    let previousTag = "";
    for (let i = 0; i < plain.length; i += 4) {
      const name = readString(plain[i], "field name", reader);
      const fieldTag = readString(plain[i + 1], "field tag", reader);
      if (
        previousName !== undefined &&
        (name < previousName || (name === previousName && fieldTag <= previousTag))
      ) {
        throw new DecodeError("MALFORMED", `${tag} fields must be unique and in ascending order`);
      }
      previousName = name;
      previousTag = fieldTag;
      const field = lookup(fieldTag);
      if (field === undefined) {
        throw new DecodeError("UNKNOWN_TYPE", `${tag} holds no field type "${fieldTag}"`);
      }
      const presence = decodePresence(plain[i + 2], reader);
      let inner: unknown;
      if (fieldTag === tag) {
        if (depth + 1 > MAX_OR_MAP_DEPTH) {
          throw new DecodeError("LIMIT_EXCEEDED", `maps nest at most ${MAX_OR_MAP_DEPTH} deep`);
        }
        inner = decode(plain[i + 3], reader, depth + 1);
      } else {
        inner = field.inner.wire.fromWire(plain[i + 3], reader);
      }
      const entry: Embedded<unknown> = { presence, state: inner };
      // No mutator makes a field that holds nothing; accepting one would give equal-reading
      // states different wire forms.
      if (field.equals(entry, field.empty())) {
        throw new DecodeError("INVALID_VALUE", `${tag} field "${name}" holds nothing`);
      }
      let tags = state.get(name);
      if (tags === undefined) {
        tags = new Map();
        state.set(name, tags);
      }
      tags.set(fieldTag, entry);
    }
    return state;
  };

  return {
    version: 1,
    toWire,
    fromWire: (plain, reader) => decoding(tag, () => decode(plain, reader, 1)),
  };
}

function readString(value: unknown, what: string, reader: WireReader): string {
  if (typeof value !== "string") throw new DecodeError("WRONG_TYPE", `${what} must be a string`);
  if (value.length > reader.limits.maxStringLength) {
    throw new DecodeError(
      "LIMIT_EXCEEDED",
      `${what} of ${value.length} code units; the limit is ${reader.limits.maxStringLength}`,
    );
  }
  if (hasLoneSurrogate(value)) {
    throw new DecodeError("INVALID_VALUE", `${what} is not well-formed UTF-16`);
  }
  return value;
}

/** How many maps deep `state` nests (1 for a map without nested maps). */
export function nestingDepth(state: OrMapState, tag: string): number {
  let deepest = 0;
  for (const tags of state.values()) {
    const nested = tags.get(tag);
    if (nested !== undefined) {
      deepest = Math.max(deepest, nestingDepth(nested.state as OrMapState, tag));
    }
  }
  return 1 + deepest;
}
