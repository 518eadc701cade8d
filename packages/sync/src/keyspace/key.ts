import { InvalidArgumentError } from "@convergent/core";

/** Longest key accepted, in UTF-16 code units; keys travel in every sync message. */
export const MAX_KEY_LENGTH = 4096;

/**
 * Returns why `key` cannot name a keyspace entry, or undefined. Lone surrogates are refused
 * because UTF-8 cannot carry them: two distinct keys would arrive as one.
 */
export function keyProblem(key: unknown): string | undefined {
  if (typeof key !== "string") return `key must be a string, got ${typeof key}`;
  if (key.length > MAX_KEY_LENGTH) {
    return `key is ${key.length} characters; the maximum is ${MAX_KEY_LENGTH}`;
  }
  if (hasLoneSurrogate(key)) return "key must be well-formed UTF-16 (no lone surrogates)";
  return undefined;
}

export function assertKey(key: unknown): asserts key is string {
  const problem = keyProblem(key);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
}

function hasLoneSurrogate(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0xd800 || code > 0xdfff) continue;
    const next = value.charCodeAt(i + 1);
    if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return true;
    i += 1;
  }
  return false;
}
