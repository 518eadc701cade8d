import { CodecRegistry } from "@convergent/codec";
import type { CrdtType } from "@convergent/core";

/** Bytes of `state` in Convergent's own format: one @convergent/codec frame. */
export function encodedBytes<S>(type: CrdtType<S, unknown>, state: S): number {
  return new CodecRegistry({ types: [type as CrdtType<unknown, unknown>] }).encode(type, state)
    .length;
}
