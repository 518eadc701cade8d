/**
 * Typed handles over one key: each method is the type's mutator or query behind the replica's
 * generic `update` and `read`, so a handle adds no semantics of its own. A handle addresses the
 * (name, type) key of its own type: `counter("x")` and `set("x")` are two different keys.
 */
import type { CrdtType, PlainValue } from "@convergent/core";
import { gCounter, increment as gIncrement } from "@convergent/g-counter";
import { lwwMap, lwwRegister, removeKey, set, setKey } from "@convergent/lww-register";
import { mvRegister, resolve, write } from "@convergent/mv-register";
import { type OrMapValue, orMap, removeField, updateField } from "@convergent/or-map";
import { add, type OrSetElement, orSet, remove } from "@convergent/or-set";
import { decrement, increment, pnCounter } from "@convergent/pn-counter";
import type { AnyCrdtType } from "@convergent/sync";
import type {
  DeleteResult,
  ReadOptions,
  ReadResult,
  Replica,
  WriteOptions,
  WriteResult,
} from "./replica.js";
import type { MutatorContext } from "./types.js";

export class CounterHandle {
  constructor(
    readonly replica: Replica,
    readonly key: string,
  ) {}
  increment(amount = 1, options?: WriteOptions): Promise<WriteResult> {
    return this.replica.update(
      this.key,
      pnCounter,
      (s, { replica }) => increment(s, replica, amount),
      options,
    );
  }
  decrement(amount = 1, options?: WriteOptions): Promise<WriteResult> {
    return this.replica.update(
      this.key,
      pnCounter,
      (s, { replica }) => decrement(s, replica, amount),
      options,
    );
  }
  value(options?: ReadOptions): Promise<ReadResult<number>> {
    return this.replica.read(this.key, pnCounter, options);
  }
  /** Deletes this key (only this type's key under the name): see Replica.delete. */
  delete(options?: WriteOptions): Promise<DeleteResult> {
    return this.replica.delete(this.key, { ...options, type: pnCounter });
  }
}

export class GCounterHandle {
  constructor(
    readonly replica: Replica,
    readonly key: string,
  ) {}
  increment(amount = 1, options?: WriteOptions): Promise<WriteResult> {
    return this.replica.update(
      this.key,
      gCounter,
      (s, { replica }) => gIncrement(s, replica, amount),
      options,
    );
  }
  value(options?: ReadOptions): Promise<ReadResult<number>> {
    return this.replica.read(this.key, gCounter, options);
  }
  /** Deletes this key (only this type's key under the name): see Replica.delete. */
  delete(options?: WriteOptions): Promise<DeleteResult> {
    return this.replica.delete(this.key, { ...options, type: gCounter });
  }
}

export class SetHandle {
  constructor(
    readonly replica: Replica,
    readonly key: string,
  ) {}
  add(element: OrSetElement, options?: WriteOptions): Promise<WriteResult> {
    return this.replica.update(
      this.key,
      orSet,
      (s, { replica }) => add(s, replica, element),
      options,
    );
  }
  remove(element: OrSetElement, options?: WriteOptions): Promise<WriteResult> {
    return this.replica.update(
      this.key,
      orSet,
      (s, { replica }) => remove(s, replica, element),
      options,
    );
  }
  values(options?: ReadOptions): Promise<ReadResult<ReadonlySet<OrSetElement>>> {
    return this.replica.read(this.key, orSet, options);
  }
  /** Whether `element` is in the set, as a read result like every other read. */
  async has(element: OrSetElement, options?: ReadOptions): Promise<ReadResult<boolean>> {
    const result = await this.values(options);
    return { ...result, value: result.value.has(element) };
  }
  /** Deletes this key (only this type's key under the name): see Replica.delete. */
  delete(options?: WriteOptions): Promise<DeleteResult> {
    return this.replica.delete(this.key, { ...options, type: orSet });
  }
}

export class RegisterHandle {
  constructor(
    readonly replica: Replica,
    readonly key: string,
  ) {}
  set(value: PlainValue, options?: WriteOptions): Promise<WriteResult> {
    return this.replica.update(
      this.key,
      lwwRegister,
      (s, { clock }) => set(s, clock, value),
      options,
    );
  }
  get(options?: ReadOptions): Promise<ReadResult<PlainValue | undefined>> {
    return this.replica.read(this.key, lwwRegister, options);
  }
  /** Deletes this key (only this type's key under the name): see Replica.delete. */
  delete(options?: WriteOptions): Promise<DeleteResult> {
    return this.replica.delete(this.key, { ...options, type: lwwRegister });
  }
}

export class MvRegisterHandle {
  constructor(
    readonly replica: Replica,
    readonly key: string,
  ) {}
  write(value: PlainValue, options?: WriteOptions): Promise<WriteResult> {
    return this.replica.update(
      this.key,
      mvRegister,
      (s, { replica }) => write(s, replica, value),
      options,
    );
  }
  /** Replaces every sibling this replica holds with `choose(siblings)`. */
  resolve(
    choose: (values: readonly PlainValue[]) => PlainValue,
    options?: WriteOptions,
  ): Promise<WriteResult> {
    return this.replica.update(
      this.key,
      mvRegister,
      (s, { replica }) => resolve(s, replica, choose),
      options,
    );
  }
  /** All siblings; `siblings` is true when there are several. */
  values(options?: ReadOptions): Promise<ReadResult<readonly PlainValue[]>> {
    return this.replica.read(this.key, mvRegister, options);
  }
  /** Deletes this key (only this type's key under the name): see Replica.delete. */
  delete(options?: WriteOptions): Promise<DeleteResult> {
    return this.replica.delete(this.key, { ...options, type: mvRegister });
  }
}

export class MapHandle {
  constructor(
    readonly replica: Replica,
    readonly key: string,
  ) {}
  set(field: string, value: PlainValue, options?: WriteOptions): Promise<WriteResult> {
    return this.replica.update(
      this.key,
      lwwMap,
      (s, { clock }) => setKey(s, clock, field, value),
      options,
    );
  }
  remove(field: string, options?: WriteOptions): Promise<WriteResult> {
    return this.replica.update(
      this.key,
      lwwMap,
      (s, { clock }) => removeKey(s, clock, field),
      options,
    );
  }
  /**
   * One field, as a read result like every other read: `exists` is whether the map exists;
   * `value` is undefined for a field the map does not hold.
   */
  async get(field: string, options?: ReadOptions): Promise<ReadResult<PlainValue | undefined>> {
    const result = await this.entries(options);
    return { ...result, value: result.exists ? result.value.get(field) : undefined };
  }
  entries(options?: ReadOptions): Promise<ReadResult<Map<string, PlainValue>>> {
    return this.replica.read(this.key, lwwMap, options);
  }
  /** Deletes this key (only this type's key under the name): see Replica.delete. */
  delete(options?: WriteOptions): Promise<DeleteResult> {
    return this.replica.delete(this.key, { ...options, type: lwwMap });
  }
}

/**
 * An OR-Map key: a document of named, typed fields (`@convergent/or-map`). A field is a
 * (name, type) pair like a store key; updating one makes it present (add-wins), removing one
 * undoes exactly what this replica observed of it. Nested maps are fields of type `orMap`:
 * `update("address", orMap, (sub, { replica }) => updateField(sub, replica, "city", ...))`.
 */
export class OrMapHandle {
  constructor(
    readonly replica: Replica,
    readonly key: string,
  ) {}
  /** Updates field `(field, type)` with `mutate(current, context)`, a delta of `type`. */
  update<S, V>(
    field: string,
    type: CrdtType<S, V>,
    mutate: (current: S, context: MutatorContext) => S,
    options?: WriteOptions,
  ): Promise<WriteResult> {
    return this.replica.update(
      this.key,
      orMap,
      (s, context) =>
        updateField(s, context.replica, field, type, (current) => mutate(current, context)),
      options,
    );
  }
  /** Removes field `(field, type)` as this replica observed it. */
  removeField(field: string, type: AnyCrdtType, options?: WriteOptions): Promise<WriteResult> {
    return this.replica.update(this.key, orMap, (s) => removeField(s, field, type.name), options);
  }
  /** Every present field by name, then by type tag; read one with `fieldValue(value, name, type)`. */
  value(options?: ReadOptions): Promise<ReadResult<OrMapValue>> {
    return this.replica.read(this.key, orMap, options);
  }
  /** Deletes this key (only the OR-Map under the name): see Replica.delete. */
  delete(options?: WriteOptions): Promise<DeleteResult> {
    return this.replica.delete(this.key, { ...options, type: orMap });
  }
}
