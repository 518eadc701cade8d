import { ConvergentError } from "@convergent/clocks";

export { ConvergentError } from "@convergent/clocks";

/** A caller passed an argument a mutator cannot accept (a zero amount, a function as a value). */
export class InvalidArgumentError extends ConvergentError {
  constructor(message: string) {
    super("INVALID_ARGUMENT", message);
  }
}

/** Why a decode was rejected; stable, so callers and metrics can group failures. */
export type DecodeErrorCode =
  | "TRUNCATED"
  | "TRAILING_BYTES"
  | "BAD_MAGIC"
  | "UNSUPPORTED_VERSION"
  | "UNKNOWN_TYPE"
  | "LIMIT_EXCEEDED"
  | "MALFORMED"
  | "WRONG_TYPE"
  | "INVALID_VALUE"
  | "FORBIDDEN_KEY";

/**
 * Bytes or plain data from outside were rejected. Thrown by wire forms and by the codec; the
 * state being decoded into is never touched. `reason` says which rule was broken.
 */
export class DecodeError extends ConvergentError {
  readonly reason: DecodeErrorCode;

  constructor(reason: DecodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(`DECODE_${reason}`, message, options);
    this.reason = reason;
  }
}
