import type { ReplicaId } from "@convergent/clocks";
import { ConvergentError } from "@convergent/core";

/**
 * Fewer replicas than the consistency level asked for answered in time. For a write this is not
 * a failure of the write: it is applied and durable locally and keeps propagating (it is never
 * rolled back); only the guarantee that `required` replicas hold it could not be confirmed yet.
 */
export class ConsistencyTimeoutError extends ConvergentError {
  readonly operation: "read" | "write";
  readonly key: string;
  readonly level: string;
  readonly required: number;
  /** Replicas (self included) that confirmed before the deadline. */
  readonly confirmed: readonly ReplicaId[];
  /** Writes only: always true, the write stays applied locally and keeps propagating. */
  readonly appliedLocally: boolean;

  constructor(options: {
    operation: "read" | "write";
    key: string;
    level: string;
    required: number;
    confirmed: readonly ReplicaId[];
    timeoutMs: number;
  }) {
    const { operation, key, level, required, confirmed, timeoutMs } = options;
    const got = `${confirmed.length} of ${required} replicas (${confirmed.join(", ")})`;
    super(
      "CONSISTENCY_TIMEOUT",
      operation === "write"
        ? `write of ${JSON.stringify(key)} at ${level}: ${got} confirmed within ${timeoutMs} ms. The write is applied and durable locally and is still propagating; it is not rolled back. Retry with a lower level or a longer timeout, or check connectivity.`
        : `read of ${JSON.stringify(key)} at ${level}: ${got} answered within ${timeoutMs} ms. Read at a lower level or check connectivity.`,
    );
    this.operation = operation;
    this.key = key;
    this.level = level;
    this.required = required;
    this.confirmed = confirmed;
    this.appliedLocally = operation === "write";
  }
}

/** The replica did not catch up to a session token in time (nothing was read). */
export class SessionTimeoutError extends ConvergentError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(
      "SESSION_TIMEOUT",
      `this replica did not catch up to the session token within ${timeoutMs} ms; the updates it names have not arrived. Retry, read from a replica that has them, or check connectivity.`,
    );
    this.timeoutMs = timeoutMs;
  }
}

/** The replica was closed; operations after `close()` fail with this. */
export class ReplicaClosedError extends ConvergentError {
  constructor() {
    super("REPLICA_CLOSED", "the replica is closed; create a new one to continue");
  }
}
