/**
 * The types a store holds: the built-in ones (the five types, the LWW map and the OR-Map) plus
 * any user type meeting the core contract. Each is held embedded (`@convergent/or-map`): the
 * type's state beside an add-wins presence, so a key exists exactly while some write is not
 * covered by a delete, and a delete is the embedded reset: the join of what it observed.
 */
import type { HybridLogicalClock, ReplicaId } from "@convergent/clocks";
import { type CrdtType, InvalidArgumentError } from "@convergent/core";
import { gCounter } from "@convergent/g-counter";
import { lwwMap, lwwRegister } from "@convergent/lww-register";
import { mvRegister } from "@convergent/mv-register";
import { type Embedded, embedded, orMap } from "@convergent/or-map";
import { orSet } from "@convergent/or-set";
import { pnCounter } from "@convergent/pn-counter";
import { type AnyCrdtType, TypeRegistry } from "@convergent/sync";
import { assertStoreTag } from "./keys.js";

/** What a mutator gets besides the state: who is writing, and the replica's HLC (LWW types). */
export interface MutatorContext {
  readonly replica: ReplicaId;
  readonly clock: HybridLogicalClock;
}

export const BUILT_IN_TYPES: readonly AnyCrdtType[] = [
  gCounter,
  pnCounter,
  orSet,
  lwwRegister,
  lwwMap,
  mvRegister,
  orMap,
] as readonly AnyCrdtType[];

/**
 * An exact observed-remove for a user type without `CrdtType.reset`: a delta removing every
 * effect `state` shows and nothing else (see `CrdtType.reset` for the rules it must keep).
 */
export type ResetFn = (state: unknown) => unknown;

export type EmbeddedType<S = unknown> = CrdtType<Embedded<S>, unknown>;

/** The store's types by tag, each embedded, and the way back from a plain type to its embedding. */
export class StoreTypes {
  readonly registry: TypeRegistry;
  readonly #embedded = new Map<AnyCrdtType, EmbeddedType>();
  readonly #plain = new Map<string, AnyCrdtType>();

  constructor(userTypes: readonly AnyCrdtType[], resets: Readonly<Record<string, ResetFn>> = {}) {
    const registry = new TypeRegistry();
    for (const type of [...BUILT_IN_TYPES, ...userTypes]) {
      if (this.#embedded.has(type)) continue;
      assertStoreTag(type.name);
      const reset =
        type.reset ?? (Object.hasOwn(resets, type.name) ? resets[type.name] : undefined);
      if (reset === undefined) {
        throw new InvalidArgumentError(
          `type "${type.name}" has no reset, so its keys could not be deleted; define reset (see CrdtType.reset)`,
        );
      }
      if (this.#plain.has(type.name)) {
        throw new InvalidArgumentError(
          `another type is already registered under tag "${type.name}"`,
        );
      }
      const wrapped = embedded(
        type.reset === undefined ? { ...type, reset } : type,
      ) as EmbeddedType;
      registry.register(wrapped as AnyCrdtType);
      this.#embedded.set(type, wrapped);
      this.#plain.set(type.name, type);
    }
    this.registry = registry;
  }

  /** The embedding of `type`; throws when `type` is not the object registered under its tag. */
  embeddedOf<S, V>(type: CrdtType<S, V>): EmbeddedType<S> {
    const wrapped = this.#embedded.get(type as AnyCrdtType);
    if (wrapped === undefined) {
      throw new InvalidArgumentError(`type "${type.name}" is not registered with this replica`);
    }
    return wrapped as EmbeddedType<S>;
  }

  /** The plain type under `tag`, if registered. */
  plain(tag: string): AnyCrdtType | undefined {
    return this.#plain.get(tag);
  }

  tags(): string[] {
    return [...this.#plain.keys()];
  }
}
