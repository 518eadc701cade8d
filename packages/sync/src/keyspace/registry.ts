import type { CrdtType } from "@convergent/core";
import { InvalidArgumentError } from "@convergent/core";

/** Any CRDT type, with its state and value types erased: the keyspace stores many kinds at once. */
// Method parameters are bivariant in TypeScript, so every CrdtType<S, V> is assignable here.
export type AnyCrdtType = CrdtType<unknown, unknown>;

/**
 * The CRDT types a keyspace may hold, by type tag. Both ends of a sync must register the same
 * tag for the same type: a received entry whose tag is not registered is rejected whole.
 */
export class TypeRegistry {
  readonly #types = new Map<string, AnyCrdtType>();

  constructor(types: Iterable<AnyCrdtType> = []) {
    for (const type of types) this.register(type);
  }

  /** Adds a type; registering the same object twice is harmless, another type under its tag throws. */
  register(type: AnyCrdtType): this {
    const existing = this.#types.get(type.name);
    if (existing !== undefined && existing !== type) {
      throw new InvalidArgumentError(`another type is already registered under tag "${type.name}"`);
    }
    this.#types.set(type.name, type);
    return this;
  }

  get(tag: string): AnyCrdtType | undefined {
    return this.#types.get(tag);
  }

  has(tag: string): boolean {
    return this.#types.has(tag);
  }

  tags(): string[] {
    return [...this.#types.keys()].sort();
  }
}
