/**
 * MurmurHash3 (x86, 32-bit; Austin Appleby, public domain), run with two seeds to give 64 bits.
 * Pure JavaScript so the package runs in browsers without `node:crypto`. It guards anti-entropy
 * against accidental divergence (lost writes, corrupted storage), not against a forger: a peer
 * that wants to hide a difference can simply lie about its state.
 */
export function murmur3(bytes: Uint8Array, seed: number): number {
  let h = seed >>> 0;
  const blocks = bytes.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = bytes.length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= (bytes[blocks + 2] as number) << 16;
    if (tail >= 2) k ^= (bytes[blocks + 1] as number) << 8;
    k ^= bytes[blocks] as number;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 64 bits as two unsigned 32-bit halves. */
export function hash64(bytes: Uint8Array): readonly [number, number] {
  return [murmur3(bytes, 0x9747b28c), murmur3(bytes, 0x5bd1e995)];
}

function mixBlock(h: number, block: number): number {
  let k = Math.imul(block, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  const x = h ^ k;
  return (Math.imul((x << 13) | (x >>> 19), 5) + 0xe6546b64) | 0;
}

/**
 * A 64-bit hash (two halves) folded to 32 bits under a salt: MurmurHash3 of the two words with
 * the salt as seed. Two different 64-bit values then collide with probability about 2^-32 for a
 * random salt, independently for each salt, so a collision in one repair walk is not repeated by
 * the next.
 */
export function salted32(high: number, low: number, salt: number): number {
  let h = mixBlock(mixBlock(salt >>> 0, high), low);
  h ^= 8;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
