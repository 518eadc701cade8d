import { ConvergentError } from "@convergent/core";

/**
 * A key already holds a value of another type. Locally this is a caller bug; from a peer it means
 * two replicas created the same key with different types, and the whole batch is refused (the
 * keyspace is left unchanged) until an application renames one of them.
 */
export class KeyTypeConflictError extends ConvergentError {
  readonly key: string;
  readonly existingTag: string;
  readonly incomingTag: string;

  constructor(key: string, existingTag: string, incomingTag: string) {
    super(
      "KEY_TYPE_CONFLICT",
      `key ${JSON.stringify(key)} holds a "${existingTag}" value; a "${incomingTag}" value cannot be joined into it`,
    );
    this.key = key;
    this.existingTag = existingTag;
    this.incomingTag = incomingTag;
  }
}

/**
 * A remote batch would grow the keyspace's causal context past its limits (`KeyspaceLimits`):
 * more cloud dots or more origin replicas than it may hold. The batch is refused whole and the
 * keyspace is left unchanged, so the context always stays loadable under the same limits.
 */
export class ContextLimitError extends ConvergentError {
  constructor(message: string) {
    super("CONTEXT_LIMIT", message);
  }
}
