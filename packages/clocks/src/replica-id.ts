import { InvalidReplicaIdError } from "./errors.js";

/** A validated replica identifier. Branded so a plain string cannot be passed by mistake. */
export type ReplicaId = string & { readonly __brand: "ReplicaId" };

/** Longest replica id accepted, in UTF-16 code units. Ids travel in every dot, so keep them short. */
export const MAX_REPLICA_ID_LENGTH = 64;

// Control characters (Unicode Cc: C0, DEL and C1) would make ids ambiguous in logs and terminals.
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

// A lone surrogate has no UTF-8 encoding: encoders replace it with U+FFFD, so two distinct ids
// would arrive as the same id and their dots would collide.
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

/** Returns an error message when `value` is not a valid replica id, or undefined when it is. */
export function replicaIdProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return `replica id must be a string, got ${typeof value}`;
  if (value.length === 0) return "replica id must not be empty";
  if (value.length > MAX_REPLICA_ID_LENGTH) {
    return `replica id is ${value.length} characters; the maximum is ${MAX_REPLICA_ID_LENGTH}`;
  }
  if (hasControlCharacter(value)) return "replica id must not contain control characters";
  if (hasLoneSurrogate(value)) return "replica id must be well-formed UTF-16 (no lone surrogates)";
  return undefined;
}

export function isReplicaId(value: unknown): value is ReplicaId {
  return replicaIdProblem(value) === undefined;
}

/** Validates and brands a replica id; throws InvalidReplicaIdError otherwise. */
export function replicaId(value: string): ReplicaId {
  const problem = replicaIdProblem(value);
  if (problem !== undefined) throw new InvalidReplicaIdError(problem);
  return value as ReplicaId;
}

/** Total order on replica ids (UTF-16 code units), used for every tie break. */
export function compareReplicaIds(a: ReplicaId, b: ReplicaId): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}
