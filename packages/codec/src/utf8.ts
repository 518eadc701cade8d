import { shortAscii } from "./short-ascii.js";

/**
 * Whether `bytes[from, to)` is well-formed UTF-8 (Unicode 15, Table 3-7): no overlong forms, no
 * surrogate code points, nothing above U+10FFFF. The same bytes a fatal TextDecoder accepts,
 * checked without allocating, so the structural scan stays allocation-free.
 */
export function isWellFormedUtf8(bytes: Uint8Array, from: number, to: number): boolean {
  let i = from;
  // Most text is ASCII: four bytes per step until one has the high bit set.
  while (i + 4 <= to) {
    const four =
      (bytes[i] as number) |
      (bytes[i + 1] as number) |
      (bytes[i + 2] as number) |
      (bytes[i + 3] as number);
    if ((four & 0x80) !== 0) break;
    i += 4;
  }
  while (i < to) {
    const lead = bytes[i] as number;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let size: number;
    // The second byte's range depends on the lead; the later ones are always 80-BF.
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      size = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      size = 3;
      if (lead === 0xe0) low = 0xa0;
      else if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      size = 4;
      if (lead === 0xf0) low = 0x90;
      else if (lead === 0xf4) high = 0x8f;
    } else {
      return false;
    }
    if (size > to - i) return false;
    const second = bytes[i + 1] as number;
    if (second < low || second > high) return false;
    for (let k = 2; k < size; k++) {
      const next = bytes[i + k] as number;
      if (next < 0x80 || next > 0xbf) return false;
    }
    i += size;
  }
  return true;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes `length` bytes of well-formed UTF-8 at `from`, keeping a leading U+FEFF. Short ASCII
 * strings (most keys and elements) are built directly: a TextDecoder call costs more than the
 * decoding itself at that size.
 */
export function decodeUtf8(bytes: Uint8Array, from: number, length: number): string {
  if (length <= 16) {
    const to = from + length;
    let bits = 0;
    for (let i = from; i < to; i++) bits |= bytes[i] as number;
    if (bits < 0x80) return shortAscii(bytes, from, length);
  }
  return decoder.decode(bytes.subarray(from, from + length));
}
