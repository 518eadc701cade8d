import { DecodeError, type DecodeErrorCode, type WirePlain } from "@convergent/core";
import fc from "fast-check";
import { expect } from "vitest";
import { FORMAT_VERSION, FrameKind, MAGIC } from "../envelope.js";

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
export const fromHex = (text: string): Uint8Array =>
  new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"));

/** A frame with the given kind and a raw MessagePack body written by hand. */
export function rawFrame(kind: FrameKind, body: string | Uint8Array): Uint8Array {
  const bodyBytes = typeof body === "string" ? fromHex(body) : body;
  return new Uint8Array([...MAGIC, FORMAT_VERSION, kind, ...bodyBytes]);
}

export const plainFrame = (body: string): Uint8Array => rawFrame(FrameKind.PLAIN, body);

/** Re-labels a plain frame as a state frame: how tests build state frames with hostile bodies. */
export function asStateFrame(plain: Uint8Array): Uint8Array {
  const copy = plain.slice();
  copy[4] = FrameKind.STATE;
  return copy;
}

export function decodeErrorOf(run: () => unknown): DecodeError {
  try {
    run();
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw new Error(`expected a DecodeError, got ${String(error)}`, { cause: error });
  }
  throw new Error("expected a DecodeError, but decoding succeeded");
}

export function expectDecodeError(run: () => unknown, reason: DecodeErrorCode): void {
  expect(decodeErrorOf(run).reason).toBe(reason);
}

const FORBIDDEN = new Set(["__proto__", "constructor", "prototype"]);
const key = fc.string({ maxLength: 6 }).filter((k) => !FORBIDDEN.has(k));
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: "binary", minLength: 30, maxLength: 80 }).map((s) => `\uFEFF${s}`),
);
const number = fc.oneof(
  fc.integer({ min: -200, max: 200 }),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Arbitrary plain data within the default limits: every kind the format carries. */
export const plainArbitrary: fc.Arbitrary<WirePlain> = fc.letrec<{ value: WirePlain }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    number,
    text,
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(key, tie("value"), { maxKeys: 5 }),
  ),
})).value;
