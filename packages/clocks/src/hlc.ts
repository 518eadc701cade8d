import { ClockDriftError, ClockOverflowError, InvalidClockValueError } from "./errors.js";
import { compareReplicaIds, isReplicaId, type ReplicaId, replicaId } from "./replica-id.js";

/**
 * A hybrid logical clock timestamp (Kulkarni, Demirbas et al. 2014, "Logical Physical Clocks").
 * `wallTime` stays within the drift bound of physical time (milliseconds since the epoch);
 * `logical` orders events that share a wall time; `replica` makes the order total.
 */
export interface HlcTimestamp {
  readonly wallTime: number;
  readonly logical: number;
  readonly replica: ReplicaId;
}

/** Largest wall time: 48 bits of milliseconds, enough until the year 10889. */
export const MAX_HLC_WALL_TIME = 2 ** 48 - 1;
/** Largest logical counter: 32 bits. Reaching it raises ClockOverflowError instead of wrapping. */
export const MAX_HLC_LOGICAL = 2 ** 32 - 1;
export const DEFAULT_MAX_DRIFT_MS = 60_000;

export interface HlcOptions {
  /** Physical time source in milliseconds; injectable for tests and simulations. */
  readonly physicalTime?: () => number;
  /** A remote timestamp whose wall time is further ahead of physical time than this is rejected. */
  readonly maxDriftMs?: number;
  /** The last timestamp issued before a restart, so the clock never goes backwards across restarts. */
  readonly last?: HlcTimestamp;
}

export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): -1 | 0 | 1 {
  if (a.wallTime !== b.wallTime) return a.wallTime < b.wallTime ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  return compareReplicaIds(a.replica, b.replica);
}

/** Returns an error message when `value` is not a well-formed timestamp. */
export function hlcProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return "timestamp must be an object";
  const { wallTime, logical, replica } = value as Record<string, unknown>;
  if (typeof wallTime !== "number" || !Number.isInteger(wallTime) || wallTime < 0) {
    return "wallTime must be a non-negative integer";
  }
  if (wallTime > MAX_HLC_WALL_TIME) return "wallTime exceeds 48 bits";
  if (typeof logical !== "number" || !Number.isInteger(logical) || logical < 0) {
    return "logical must be a non-negative integer";
  }
  if (logical > MAX_HLC_LOGICAL) return "logical exceeds 32 bits";
  if (!isReplicaId(replica)) return "replica must be a valid replica id";
  return undefined;
}

export function assertHlcTimestamp(value: unknown): asserts value is HlcTimestamp {
  const problem = hlcProblem(value);
  if (problem !== undefined) throw new InvalidClockValueError(`invalid HLC timestamp: ${problem}`);
}

export class HybridLogicalClock {
  readonly replica: ReplicaId;
  readonly maxDriftMs: number;
  readonly #physicalTime: () => number;
  #wallTime: number;
  #logical: number;

  constructor(replica: ReplicaId, options: HlcOptions = {}) {
    const maxDriftMs = options.maxDriftMs ?? DEFAULT_MAX_DRIFT_MS;
    if (!(maxDriftMs >= 0)) throw new InvalidClockValueError("maxDriftMs must be >= 0");
    this.replica = replicaId(replica);
    this.maxDriftMs = maxDriftMs;
    this.#physicalTime = options.physicalTime ?? Date.now;
    if (options.last !== undefined) assertHlcTimestamp(options.last);
    this.#wallTime = options.last?.wallTime ?? 0;
    this.#logical = options.last?.logical ?? 0;
  }

  /** The most recent timestamp issued (or restored), without advancing the clock. */
  peek(): HlcTimestamp {
    return { wallTime: this.#wallTime, logical: this.#logical, replica: this.replica };
  }

  /** A local or send event. Strictly greater than every timestamp this clock issued or received. */
  now(): HlcTimestamp {
    const physical = this.#readPhysical();
    if (physical > this.#wallTime) {
      this.#wallTime = physical;
      this.#logical = 0;
    } else {
      // Physical time stalled or went backwards: keep the wall time, count logically.
      if (this.#logical === MAX_HLC_LOGICAL) throw this.#overflow();
      this.#logical += 1;
    }
    return { wallTime: this.#wallTime, logical: this.#logical, replica: this.replica };
  }

  /**
   * A receive event. Rejects (ClockDriftError) a remote timestamp more than maxDriftMs ahead of
   * physical time and leaves the clock untouched, so one bad peer cannot drag every clock forward.
   */
  receive(remote: HlcTimestamp): HlcTimestamp {
    assertHlcTimestamp(remote);
    const physical = this.#readPhysical();
    const drift = remote.wallTime - physical;
    if (drift > this.maxDriftMs) throw new ClockDriftError(drift, this.maxDriftMs);

    const wallTime = Math.max(this.#wallTime, remote.wallTime, physical);
    let logical: number;
    if (wallTime === this.#wallTime && wallTime === remote.wallTime) {
      logical = Math.max(this.#logical, remote.logical) + 1;
    } else if (wallTime === this.#wallTime) {
      logical = this.#logical + 1;
    } else if (wallTime === remote.wallTime) {
      logical = remote.logical + 1;
    } else {
      logical = 0;
    }
    if (logical > MAX_HLC_LOGICAL) throw this.#overflow();
    this.#wallTime = wallTime;
    this.#logical = logical;
    return { wallTime, logical, replica: this.replica };
  }

  #readPhysical(): number {
    const raw = this.#physicalTime();
    if (!Number.isFinite(raw) || raw < 0) {
      throw new InvalidClockValueError(`physical time source returned ${String(raw)}`);
    }
    const physical = Math.floor(raw);
    if (physical > MAX_HLC_WALL_TIME) {
      throw new ClockOverflowError("physical time exceeds the 48-bit HLC wall time");
    }
    return physical;
  }

  #overflow(): ClockOverflowError {
    return new ClockOverflowError(
      `HLC logical counter reached ${MAX_HLC_LOGICAL} at wall time ${this.#wallTime}; ` +
        "physical time has not advanced for too many events",
    );
  }
}
