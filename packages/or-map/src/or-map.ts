/**
 * An OR-Map of named, typed fields (nested documents), after Riak's map (riak_dt_map, Brown et
 * al. 2014, "Riak DT Map: a composable, convergent replicated dictionary") in delta-state form
 * (Almeida, Shoker, Baquero 2018). A field is keyed by `(name, type tag)`, so replicas creating
 * `x` concurrently as a counter and as a set make two fields. Each field is an embedded state
 * (see `embedded`): updating a field enables its add-wins presence, removing it is the
 * embedded reset, which undoes exactly what the remover had observed.
 */
import type { ReplicaId } from "@convergent/clocks";
import { type CrdtType, defineCrdt, InvalidArgumentError } from "@convergent/core";
import { type Embedded, type EmbeddedType, type EmbeddedValue, embedded } from "./embedded.js";
import { makeOrMapWire, nestingDepth } from "./or-map-wire.js";
import { enable, isEnabled, type PresenceState } from "./presence.js";
import { MAX_OR_MAP_DEPTH, type OrMapState } from "./state.js";
import type { OrMapValue } from "./view.js";
import { hasLoneSurrogate } from "./wire-checks.js";

/** An OR-Map type: `reset` (remove every field it observed) is always defined. */
export interface OrMapType extends CrdtType<OrMapState, OrMapValue> {
  reset(state: OrMapState): OrMapState;
}

/** The field types a map may hold, by tag (the map itself included, for nested maps). */
export type FieldTypes = ReadonlyMap<string, CrdtType<unknown, unknown>>;

export interface OrMapOptions {
  /** The map's own type tag; "or-map" by default. */
  readonly name?: string;
}

/** One OR-Map type with its mutators and queries. */
export interface OrMapKit {
  readonly type: OrMapType;
  readonly fieldTypes: FieldTypes;
  /**
   * Delta: field `(name, fieldType)` updated by `mutate`, which gets the field's current inner
   * state (empty-reading if the field is absent or removed) and returns an inner delta, made by
   * `fieldType`'s own mutators. The field becomes present even if the inner delta changes
   * nothing. Nested maps: `mutate` calls `updateField` on the nested state. Throws
   * InvalidArgumentError when `fieldType` is not the type registered under its tag, for a bad
   * name, or for nesting deeper than MAX_OR_MAP_DEPTH.
   */
  updateField<S, V>(
    state: OrMapState,
    replica: ReplicaId,
    name: string,
    fieldType: CrdtType<S, V>,
    mutate: (current: S) => S,
  ): OrMapState;
  /**
   * Delta: the field's embedded reset, undoing exactly the updates this state has seen; an
   * update made concurrently elsewhere survives with its own effect. Mints nothing, so it takes
   * no replica. An absent field gives an empty delta.
   */
  removeField(state: OrMapState, name: string, tag: string): OrMapState;
  /** `{ exists, value }` of field `(name, fieldType)`. */
  getField<S, V>(state: OrMapState, name: string, fieldType: CrdtType<S, V>): EmbeddedValue<V>;
  /** The field's inner state (the empty state if the map never held it). Do not mutate it. */
  fieldState<S, V>(state: OrMapState, name: string, fieldType: CrdtType<S, V>): S;
}

const NO_PRESENCE: PresenceState = new Map();

/**
 * Builds an OR-Map type that may hold `fieldTypes` (each with a `reset`, distinct tags) and
 * itself, under its own tag, as the type of nested maps.
 */
export function createOrMap(
  fieldTypes: readonly CrdtType<unknown, unknown>[],
  options: OrMapOptions = {},
): OrMapKit {
  const tag = options.name ?? "or-map";
  if (typeof tag !== "string" || tag.length === 0) {
    throw new InvalidArgumentError("name must be a non-empty string");
  }
  const byTag = new Map<string, EmbeddedType<unknown, unknown>>();
  for (const fieldType of fieldTypes) {
    if (fieldType.name === tag || byTag.has(fieldType.name)) {
      throw new InvalidArgumentError(`two field types share the tag "${fieldType.name}"`);
    }
    byTag.set(fieldType.name, embedded(fieldType)); // throws for a type without reset
  }
  const fieldOf = (fieldTag: string): EmbeddedType<unknown, unknown> => {
    const found = byTag.get(fieldTag);
    if (found === undefined) {
      throw new InvalidArgumentError(`this map holds no field type "${fieldTag}"`);
    }
    return found;
  };
  const registered = <S, V>(fieldType: CrdtType<S, V>): EmbeddedType<S, V> => {
    const found = byTag.get(fieldType?.name);
    if (found === undefined || found.inner !== (fieldType as CrdtType<unknown, unknown>)) {
      throw new InvalidArgumentError(
        `type "${String(fieldType?.name)}" is not a field type of this map (pass the registered type object)`,
      );
    }
    return found as unknown as EmbeddedType<S, V>;
  };

  const joinInto = (target: OrMapState, source: OrMapState): OrMapState => {
    for (const [name, sourceTags] of source) {
      let targetTags = target.get(name);
      if (targetTags === undefined) {
        targetTags = new Map();
        target.set(name, targetTags);
      }
      for (const [fieldTag, entry] of sourceTags) {
        const field = fieldOf(fieldTag);
        const current = targetTags.get(fieldTag);
        if (current === undefined) targetTags.set(fieldTag, field.clone(entry));
        else field.joinInto(current, entry);
      }
    }
    return target;
  };
  const clone = (state: OrMapState): OrMapState => {
    const copy: OrMapState = new Map();
    for (const [name, tags] of state) {
      const tagsCopy = new Map<string, Embedded<unknown>>();
      for (const [fieldTag, entry] of tags) tagsCopy.set(fieldTag, fieldOf(fieldTag).clone(entry));
      copy.set(name, tagsCopy);
    }
    return copy;
  };
  const leq = (a: OrMapState, b: OrMapState): boolean => {
    for (const [name, tags] of a) {
      const other = b.get(name);
      if (other === undefined) return false;
      for (const [fieldTag, entry] of tags) {
        const otherEntry = other.get(fieldTag);
        if (otherEntry === undefined || !fieldOf(fieldTag).leq(entry, otherEntry)) return false;
      }
    }
    return true;
  };
  const equals = (a: OrMapState, b: OrMapState): boolean => {
    if (a.size !== b.size) return false;
    for (const [name, tags] of a) {
      const other = b.get(name);
      if (other === undefined || other.size !== tags.size) return false;
      for (const [fieldTag, entry] of tags) {
        const otherEntry = other.get(fieldTag);
        if (otherEntry === undefined || !fieldOf(fieldTag).equals(entry, otherEntry)) return false;
      }
    }
    return true;
  };
  // Sorted, so equal states give equal views whatever order their fields arrived in.
  const value = (state: OrMapState): OrMapValue => {
    const view = new Map<string, ReadonlyMap<string, unknown>>();
    for (const name of [...state.keys()].sort()) {
      const tags = state.get(name) as Map<string, Embedded<unknown>>;
      const values = new Map<string, unknown>();
      for (const fieldTag of [...tags.keys()].sort()) {
        const entry = tags.get(fieldTag) as Embedded<unknown>;
        if (isEnabled(entry.presence))
          values.set(fieldTag, fieldOf(fieldTag).inner.value(entry.state));
      }
      if (values.size > 0) view.set(name, values);
    }
    return view;
  };
  // Only fields the reset changes, so removing from a map of removed fields sends nothing.
  const resetField = (
    delta: OrMapState,
    name: string,
    fieldTag: string,
    entry: Embedded<unknown>,
  ): void => {
    const field = fieldOf(fieldTag);
    const undo = field.reset(entry);
    if (field.leq(undo, entry)) return;
    let tags = delta.get(name);
    if (tags === undefined) {
      tags = new Map();
      delta.set(name, tags);
    }
    tags.set(fieldTag, undo);
  };
  const reset = (state: OrMapState): OrMapState => {
    const delta: OrMapState = new Map();
    for (const [name, tags] of state) {
      for (const [fieldTag, entry] of tags) resetField(delta, name, fieldTag, entry);
    }
    return delta;
  };

  const type = defineCrdt<OrMapState, OrMapValue>({
    name: tag,
    empty: () => new Map(),
    joinInto,
    clone,
    leq,
    equals,
    value,
    wire: makeOrMapWire(tag, (fieldTag) => byTag.get(fieldTag)),
    reset,
  }) as OrMapType;
  byTag.set(tag, embedded(type) as EmbeddedType<unknown, unknown>);

  return {
    type,
    fieldTypes: new Map([...byTag].map(([t, field]) => [t, field.inner])),
    updateField(state, replica, name, fieldType, mutate) {
      checkName(name);
      registered(fieldType);
      const current = state.get(name)?.get(fieldType.name);
      const innerDelta = mutate(
        current === undefined ? fieldType.empty() : (current.state as never),
      );
      if ((fieldType as CrdtType<unknown, unknown>) === type) {
        const depth = 1 + nestingDepth(innerDelta as OrMapState, tag);
        if (depth > MAX_OR_MAP_DEPTH) {
          throw new InvalidArgumentError(`maps nest at most ${MAX_OR_MAP_DEPTH} deep`);
        }
      }
      const entry: Embedded<unknown> = {
        presence: enable(current?.presence ?? NO_PRESENCE, replica),
        state: innerDelta,
      };
      return new Map([[name, new Map([[fieldType.name, entry]])]]);
    },
    removeField(state, name, fieldTag) {
      checkName(name);
      const entry = state.get(name)?.get(fieldTag);
      const delta: OrMapState = new Map();
      if (entry !== undefined) resetField(delta, name, fieldTag, entry);
      return delta;
    },
    getField(state, name, fieldType) {
      const field = registered(fieldType);
      const entry = state.get(name)?.get(fieldType.name) as Embedded<never> | undefined;
      return entry === undefined ? field.read(field.empty()) : field.read(entry);
    },
    fieldState(state, name, fieldType) {
      registered(fieldType);
      const entry = state.get(name)?.get(fieldType.name);
      return entry === undefined ? fieldType.empty() : (entry.state as never);
    },
  };
}

function checkName(name: unknown): void {
  if (typeof name !== "string") {
    throw new InvalidArgumentError(`a field name must be a string, got ${typeof name}`);
  }
  if (hasLoneSurrogate(name)) {
    throw new InvalidArgumentError("a field name must be well-formed UTF-16 (no lone surrogates)");
  }
}
