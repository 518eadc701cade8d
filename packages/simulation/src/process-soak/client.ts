/**
 * The soak's HTTP client for the serve process's --debug endpoints. Every failure (refused
 * connection, timeout, non-200) is an unacknowledged outcome, never an exception, because
 * failures are what the faults are meant to cause.
 */
export type Level = "one" | "quorum" | "all";

const REQUEST_TIMEOUT_MS = 8_000;

export interface PutOutcome {
  /** The replica answered 200: the write is acknowledged at `level`. */
  readonly acked: boolean;
  /**
   * The replica answered at all. Without an answer (refused, reset, timed out) the request may
   * still be applied later, so the write's effect has no known end in time.
   */
  readonly answered: boolean;
}

export async function put(
  http: string,
  key: string,
  value: string,
  level: Level,
): Promise<PutOutcome> {
  try {
    const query = `key=${encodeURIComponent(key)}&level=${level}`;
    const response = await fetch(`${http}/debug/put?${query}`, {
      method: "POST",
      body: JSON.stringify(value),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return { acked: response.status === 200, answered: true };
  } catch {
    return { acked: false, answered: false };
  }
}

/** The replica's own value at `key` (level one), undefined when unset; throws when unreachable. */
export async function get(http: string, key: string): Promise<unknown> {
  const response = await fetch(`${http}/debug/get?key=${encodeURIComponent(key)}&level=one`, {
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (response.status !== 200) throw new Error(`GET ${key}: status ${response.status}`);
  const body = (await response.json()) as { found: boolean; value?: unknown };
  return body.found ? body.value : undefined;
}
