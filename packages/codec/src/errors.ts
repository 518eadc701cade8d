import { ConvergentError } from "@convergent/core";

/** Why an encode was refused; stable, like DecodeError's reasons. */
export type EncodeErrorCode = "UNKNOWN_TYPE" | "LIMIT_EXCEEDED" | "UNSUPPORTED_VALUE";

/**
 * A state or message could not be written. The codec refuses to write a frame that a reader
 * with the same limits would reject, so a replica never produces bytes its peers cannot read.
 */
export class EncodeError extends ConvergentError {
  readonly reason: EncodeErrorCode;

  constructor(reason: EncodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(`ENCODE_${reason}`, message, options);
    this.reason = reason;
  }
}

/** A type was registered under a tag the registry already holds. */
export class DuplicateTypeError extends ConvergentError {
  readonly tag: string;

  constructor(tag: string) {
    super(
      "DUPLICATE_TYPE",
      `a type is already registered under the tag "${tag}"; each tag names one type per codec`,
    );
    this.tag = tag;
  }
}
