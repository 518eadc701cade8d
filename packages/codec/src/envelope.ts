import { DecodeError } from "@convergent/core";

/**
 * The fixed 5-byte frame header: magic, format version, frame kind. 0xC1 is the one byte
 * MessagePack never uses and is not valid UTF-8, so a frame cannot be mistaken for a bare
 * MessagePack value or for JSON text.
 */
export const MAGIC: readonly number[] = Object.freeze([0xc1, 0x43, 0x56]);
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 5;

/** A frame holds either one CRDT state (with type tag and replica table) or one plain message. */
export const FrameKind = Object.freeze({ STATE: 0x53, PLAIN: 0x50 });
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export function writeHeader(frame: Uint8Array, kind: FrameKind): void {
  frame[0] = MAGIC[0] as number;
  frame[1] = MAGIC[1] as number;
  frame[2] = MAGIC[2] as number;
  frame[3] = FORMAT_VERSION;
  frame[4] = kind;
}

/**
 * Checks that `bytes` is a frame within the size limit (before reading anything else) and
 * returns its kind.
 */
export function checkFrame(bytes: unknown, maxFrameBytes: number): FrameKind {
  if (!(bytes instanceof Uint8Array)) {
    throw new DecodeError("WRONG_TYPE", "a frame must be a Uint8Array");
  }
  if (bytes.length > maxFrameBytes) {
    throw new DecodeError(
      "LIMIT_EXCEEDED",
      `the frame is ${bytes.length} bytes; the limit is ${maxFrameBytes}`,
    );
  }
  return readHeader(bytes);
}

/** Checks the header and returns the frame kind; the body starts at HEADER_BYTES. */
export function readHeader(bytes: Uint8Array): FrameKind {
  for (let i = 0; i < MAGIC.length; i++) {
    if (i >= bytes.length) throw new DecodeError("TRUNCATED", "frame ends inside its magic bytes");
    if (bytes[i] !== MAGIC[i]) {
      throw new DecodeError("BAD_MAGIC", "not a Convergent frame: the magic bytes do not match");
    }
  }
  const version = bytes[3];
  if (version === undefined) throw new DecodeError("TRUNCATED", "frame ends before its version");
  if (version !== FORMAT_VERSION) {
    throw new DecodeError(
      "UNSUPPORTED_VERSION",
      `frame format version ${version} is not supported; this reader knows version ${FORMAT_VERSION}` +
        (version > FORMAT_VERSION ? " (upgrade @convergent/codec to read it)" : ""),
    );
  }
  const kind = bytes[4];
  if (kind === undefined) throw new DecodeError("TRUNCATED", "frame ends before its kind byte");
  if (kind !== FrameKind.STATE && kind !== FrameKind.PLAIN) {
    throw new DecodeError("MALFORMED", `unknown frame kind 0x${kind.toString(16)}`);
  }
  return kind;
}
