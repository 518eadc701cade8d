import { describe, expect, test } from "vitest";
import { FORMAT_VERSION, FrameKind, HEADER_BYTES, MAGIC, readHeader } from "./envelope.js";
import { createCodec } from "./index.js";
import { expectDecodeError, fromHex, hex, plainFrame, rawFrame } from "./test-support/frames.js";

describe("frame header", () => {
  const codec = createCodec();

  test("is magic C1 43 56, format version 1, then the kind byte", () => {
    expect(MAGIC).toEqual([0xc1, 0x43, 0x56]);
    expect(FORMAT_VERSION).toBe(1);
    expect(HEADER_BYTES).toBe(5);
    expect(hex(codec.encodePlain(null))).toBe("c143560150c0");
    expect(readHeader(plainFrame("c0"))).toBe(FrameKind.PLAIN);
    expect(readHeader(rawFrame(FrameKind.STATE, "c0"))).toBe(FrameKind.STATE);
  });

  test("other magic bytes are BAD_MAGIC, even when the frame is short", () => {
    expectDecodeError(() => codec.decodePlain(fromHex("c04356015000")), "BAD_MAGIC");
    expectDecodeError(() => codec.decodePlain(fromHex("7b7d")), "BAD_MAGIC"); // JSON "{}"
    expectDecodeError(() => codec.decodePlain(fromHex("c0")), "BAD_MAGIC"); // bare MessagePack
  });

  test("a frame cut inside the header is TRUNCATED", () => {
    for (const bytes of ["", "c1", "c143", "c14356", "c1435601"]) {
      expectDecodeError(() => codec.decodePlain(fromHex(bytes)), "TRUNCATED");
    }
    expectDecodeError(() => codec.decodePlain(fromHex("c143560150")), "TRUNCATED");
  });

  test("an unknown format version is UNSUPPORTED_VERSION", () => {
    expectDecodeError(() => codec.decodePlain(fromHex("c1435602" + "50c0")), "UNSUPPORTED_VERSION");
    expectDecodeError(() => codec.decode(fromHex("c1435600" + "53c0")), "UNSUPPORTED_VERSION");
  });

  test("an unknown frame kind is MALFORMED", () => {
    expectDecodeError(() => codec.decodePlain(fromHex("c1435601" + "51c0")), "MALFORMED");
  });

  test("a state frame given to decodePlain, or a plain frame given to decode, is WRONG_TYPE", () => {
    expectDecodeError(() => codec.decodePlain(rawFrame(FrameKind.STATE, "c0")), "WRONG_TYPE");
    expectDecodeError(() => codec.decode(plainFrame("c0")), "WRONG_TYPE");
  });

  test("input that is not a Uint8Array is WRONG_TYPE", () => {
    for (const input of ["c1435601", [0xc1], null, undefined, new ArrayBuffer(8)]) {
      expectDecodeError(() => codec.decode(input as never), "WRONG_TYPE");
      expectDecodeError(() => codec.decodePlain(input as never), "WRONG_TYPE");
    }
  });

  test("the frame size is checked before anything is read", () => {
    const small = createCodec({ limits: { maxFrameBytes: 16 } });
    expectDecodeError(() => small.decodePlain(new Uint8Array(17)), "LIMIT_EXCEEDED");
    expectDecodeError(() => small.decodePlain(new Uint8Array(16)), "BAD_MAGIC");
  });
});
