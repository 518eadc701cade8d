/**
 * One-byte codes for the type tags of the CRDT packages that ship with Convergent, so an entry
 * group costs one byte of tag instead of the tag's UTF-8. The list is part of the wire format:
 * append only, never reorder (a changed position needs a new protocol version). Code 0 means the
 * tag follows as a string, which any other registered type uses. A code names a tag, not a type:
 * the receiver still resolves the tag through its own TypeRegistry.
 */
export const BUILTIN_TYPE_TAGS: readonly string[] = Object.freeze([
  "g-counter",
  "pn-counter",
  "lww-register",
  "lww-map",
  "mv-register",
  "or-set",
]);

const CODES = new Map(BUILTIN_TYPE_TAGS.map((tag, i) => [tag, i + 1]));

/** The tag's code, or 0 when it must be written out. */
export function typeTagCode(tag: string): number {
  return CODES.get(tag) ?? 0;
}
