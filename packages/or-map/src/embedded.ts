/**
 * A type's state held beside an add-wins presence flag, as Riak's map holds each field
 * (riak_dt_map) and as a store holds each key. Every update enables the flag; a remove is the
 * embedded `reset`: the presence reset plus the inner type's exact reset, both the join of what
 * was observed (DESIGN section 9). So an entry exists while some update is not covered by a
 * remove, and an update a remove had not seen survives with exactly its own effect.
 */
import type { ReplicaId } from "@convergent/clocks";
import {
  type CrdtType,
  DecodeError,
  defineCrdt,
  InvalidArgumentError,
  type WireForm,
} from "@convergent/core";
import {
  disable,
  enable,
  isEnabled,
  joinPresenceInto,
  type PresenceState,
  presenceEquals,
  presenceLeq,
} from "./presence.js";
import { decodePresence, presenceWire } from "./presence-wire.js";
import { decoding } from "./wire-checks.js";

/** An inner state and its presence. Treat it as immutable; only `joinInto` updates one. */
export interface Embedded<S> {
  readonly presence: PresenceState;
  readonly state: S;
}

/** What a reader sees of an entry: whether it exists, and its value (the empty value if not). */
export interface EmbeddedValue<V> {
  readonly exists: boolean;
  readonly value: V;
}

/** `embedded(type)`: same tag and value type as `type`, with `reset` always defined. */
export interface EmbeddedType<S, V> extends CrdtType<Embedded<S>, V> {
  reset(state: Embedded<S>): Embedded<S>;
  /** The type this one embeds. */
  readonly inner: CrdtType<S, V>;
  /** `{ exists, value }` of an entry. */
  read(entry: Embedded<S>): EmbeddedValue<V>;
}

type Mutable<S> = { presence: PresenceState; state: S };

// One embedding per type object, so a type embedded by a store and by every map that holds it
// is one object (and registries can compare types by identity).
const cache = new WeakMap<object, EmbeddedType<unknown, unknown>>();

/**
 * Embeds `type`, which must define `reset` (InvalidArgumentError otherwise). The embedding
 * carries the same tag as `type`: it is how the type's state is held, not a new type.
 */
export function embedded<S, V>(type: CrdtType<S, V>): EmbeddedType<S, V> {
  const known = cache.get(type);
  if (known !== undefined) return known as EmbeddedType<S, V>;
  if (typeof type !== "object" || type === null || typeof type.reset !== "function") {
    throw new InvalidArgumentError(
      `type "${String(type?.name)}" has no reset, so it cannot be embedded; define CrdtType.reset`,
    );
  }
  const innerReset = type.reset.bind(type);
  const read = (entry: Embedded<S>): EmbeddedValue<V> =>
    isEnabled(entry.presence)
      ? { exists: true, value: type.value(entry.state) }
      : { exists: false, value: type.value(type.empty()) };
  const definition = defineCrdt<Embedded<S>, V>({
    name: type.name,
    empty: () => ({ presence: new Map(), state: type.empty() }),
    clone: (entry) => ({ presence: new Map(entry.presence), state: type.clone(entry.state) }),
    joinInto(target, source) {
      joinPresenceInto(target.presence, source.presence);
      const joined = type.joinInto(target.state, source.state);
      if (joined !== target.state) (target as Mutable<S>).state = joined;
      return target;
    },
    join: (a, b) => {
      const presence = joinPresenceInto(new Map(a.presence), b.presence);
      return { presence, state: type.join(a.state, b.state) };
    },
    leq: (a, b) => presenceLeq(a.presence, b.presence) && type.leq(a.state, b.state),
    equals: (a, b) => presenceEquals(a.presence, b.presence) && type.equals(a.state, b.state),
    value: (entry) => read(entry).value,
    wire: embeddedWire(type.name, type.wire),
    reset: (entry) => ({ presence: disable(entry.presence), state: innerReset(entry.state) }),
  });
  const result = Object.freeze({ ...definition, inner: type, read }) as EmbeddedType<S, V>;
  cache.set(type, result as EmbeddedType<unknown, unknown>);
  return result;
}

/**
 * The delta of an update made through the embedding: `replica` enables the presence and
 * `innerDelta` (made by the inner type's mutator from `entry.state`) is the inner change.
 * O(1) beyond the inner delta.
 */
export function embeddedUpdate<S>(
  entry: Embedded<S>,
  replica: ReplicaId,
  innerDelta: S,
): Embedded<S> {
  return { presence: enable(entry.presence, replica), state: innerDelta };
}

/** True while some update to the entry is not covered by a remove. */
export function isPresent(entry: Embedded<unknown>): boolean {
  return isEnabled(entry.presence);
}

/** `{ exists, value }` of an entry of `type` (the inner empty value when it does not exist). */
export function readEmbedded<S, V>(type: CrdtType<S, V>, entry: Embedded<S>): EmbeddedValue<V> {
  return embedded(type).read(entry);
}

/**
 * `[presence, inner]`: the presence wire form, then the inner type's. Versioned like the inner
 * wire form, since the embedding travels under the inner type's tag.
 */
function embeddedWire<S>(tag: string, inner: WireForm<S>): WireForm<Embedded<S>> {
  return {
    version: inner.version,
    toWire: (entry, writer) => [
      presenceWire.toWire(entry.presence, writer),
      inner.toWire(entry.state, writer),
    ],
    fromWire: (plain, reader) =>
      decoding(tag, () => {
        if (!Array.isArray(plain))
          throw new DecodeError("WRONG_TYPE", `${tag} entry must be an array`);
        if (plain.length !== 2) {
          throw new DecodeError("MALFORMED", `${tag} entry must be [presence, state]`);
        }
        return {
          presence: decodePresence(plain[0], reader),
          state: inner.fromWire(plain[1], reader),
        };
      }),
  };
}
