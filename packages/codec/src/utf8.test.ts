import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodeUtf8, isWellFormedUtf8 } from "./utf8.js";

const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function textDecoderAccepts(bytes: Uint8Array): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

// Bytes near the UTF-8 boundaries (leads, continuation limits, surrogates, U+10FFFF), so random
// sequences hit every branch rather than mostly invalid leads.
const edgeByte = fc.constantFrom(
  0x00,
  0x41,
  0x7f,
  0x80,
  0x8f,
  0x90,
  0x9f,
  0xa0,
  0xbf,
  0xc0,
  0xc1,
  0xc2,
  0xdf,
  0xe0,
  0xe1,
  0xec,
  0xed,
  0xee,
  0xef,
  0xf0,
  0xf1,
  0xf3,
  0xf4,
  0xf5,
  0xff,
);
const bytesArbitrary = fc
  .array(fc.oneof(edgeByte, fc.integer({ min: 0, max: 255 })), { maxLength: 12 })
  .map((list) => new Uint8Array(list));

describe("UTF-8", () => {
  test("isWellFormedUtf8 accepts exactly what a fatal TextDecoder accepts", () => {
    fc.assert(
      fc.property(bytesArbitrary, fc.nat({ max: 3 }), (bytes, pad) => {
        // Checked inside a larger buffer: the bounds must be respected on both sides.
        const padded = new Uint8Array(bytes.length + 2 * pad).fill(0xe0);
        padded.set(bytes, pad);
        expect(isWellFormedUtf8(padded, pad, pad + bytes.length)).toBe(textDecoderAccepts(bytes));
      }),
      { numRuns: 20_000 },
    );
  });

  test("decodeUtf8 equals TextDecoder for any well-formed string, a leading BOM kept", () => {
    const text = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.string({ unit: "binary", maxLength: 20 }),
      fc.string({ unit: "binary", maxLength: 20 }).map((s) => `\uFEFF${s}`),
    );
    fc.assert(
      fc.property(text, (value) => {
        const encoded = new TextEncoder().encode(value);
        const frame = new Uint8Array(encoded.length + 4).fill(0x41);
        frame.set(encoded, 2);
        expect(isWellFormedUtf8(frame, 2, 2 + encoded.length)).toBe(true);
        expect(decodeUtf8(frame, 2, encoded.length)).toBe(value);
      }),
      { numRuns: 5_000 },
    );
    for (let length = 0; length <= 40; length++) {
      const ascii = "abcdefghijklmnopqrstuvwxyz0123456789-_.:~".slice(0, length);
      expect(decodeUtf8(new TextEncoder().encode(`!${ascii}!`), 1, length)).toBe(ascii);
    }
  });
});
