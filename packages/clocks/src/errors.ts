/**
 * The base of every error Convergent throws. It lives in the lowest package (clocks) so that
 * every other package, including this one, can extend it without a dependency cycle;
 * `@convergent/core` re-exports it. `code` is stable across versions: match on it, not on
 * the message.
 */
export class ConvergentError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A replica id was empty, too long, not a string, or held control characters or lone surrogates. */
export class InvalidReplicaIdError extends ConvergentError {
  constructor(message: string) {
    super("INVALID_REPLICA_ID", message);
  }
}

/** A remote hybrid logical clock timestamp was further ahead of local physical time than allowed. */
export class ClockDriftError extends ConvergentError {
  readonly driftMs: number;
  readonly maxDriftMs: number;

  constructor(driftMs: number, maxDriftMs: number) {
    super(
      "CLOCK_DRIFT",
      `remote timestamp is ${driftMs} ms ahead of local physical time; the limit is ${maxDriftMs} ms. ` +
        "Check the sender's clock (NTP) or raise maxDriftMs.",
    );
    this.driftMs = driftMs;
    this.maxDriftMs = maxDriftMs;
  }
}

/** A clock counter would pass its representable maximum; the clock is left unchanged. */
export class ClockOverflowError extends ConvergentError {
  constructor(message: string) {
    super("CLOCK_OVERFLOW", message);
  }
}

/** A timestamp, dot or vector received from outside had the wrong shape or range. */
export class InvalidClockValueError extends ConvergentError {
  constructor(message: string) {
    super("INVALID_CLOCK_VALUE", message);
  }
}
