/**
 * Typed handles over one key: each method is the type's mutator or query behind the replica's
 * generic `update` and `read`, so a handle adds no semantics of its own.
 */
import type { PlainValue } from "@convergent/core";
import { gCounter, increment as gIncrement } from "@convergent/g-counter";
import { lwwMap, lwwRegister, removeKey, set, setKey } from "@convergent/lww-register";
import { mvRegister, resolve, write } from "@convergent/mv-register";
import { add, type OrSetElement, orSet, remove } from "@convergent/or-set";
import { decrement, increment, pnCounter } from "@convergent/pn-counter";
import type { ReadOptions, ReadResult, Replica, WriteOptions, WriteResult } from "./replica.js";

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
  async has(element: OrSetElement, options?: ReadOptions): Promise<boolean> {
    return (await this.values(options)).value.has(element);
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
  async get(field: string, options?: ReadOptions): Promise<PlainValue | undefined> {
    const result = await this.entries(options);
    return result.exists ? result.value.get(field) : undefined;
  }
  entries(options?: ReadOptions): Promise<ReadResult<Map<string, PlainValue>>> {
    return this.replica.read(this.key, lwwMap, options);
  }
}
