/**
 * A Merkle tree over a keyspace, as in Dynamo and Cassandra anti-entropy (DeCandia et al. 2007,
 * section 4.7): keys fall into 16^depth leaf buckets by a hash of the key; a leaf's digest is the
 * XOR of the 64-bit hashes of its entries' canonical bytes, and an inner node's digest is the XOR
 * of its 16 children. XOR makes every update O(depth): a changed entry XORs out its old hash and
 * in its new one along one path, so the tree is never rebuilt. Writes only mark keys dirty; the
 * hashes of dirty keys are computed once, when a digest is next read.
 */
import type { Keyspace } from "../keyspace/keyspace.js";
import { utf8Bytes } from "../protocol/bytes.js";
import { entryHash } from "./canonical.js";
import { murmur3, salted32 } from "./hash.js";

export const MERKLE_FAN_OUT = 16;
export const DEFAULT_MERKLE_DEPTH = 4;

export class MerkleTree {
  readonly depth: number;
  readonly #keyspace: Keyspace;
  /** levels[l] holds 16^l nodes as pairs of uint32 halves. */
  readonly #levels: Uint32Array[] = [];
  readonly #buckets = new Map<string, number>();
  /** Per leaf bucket, the 64-bit hash of each entry in it. */
  readonly #members = new Map<number, Map<string, readonly [number, number]>>();
  #count = 0;
  readonly #dirty = new Set<string>();
  readonly #unsubscribe: () => void;
  #walks = 0;

  /** Builds the tree once from the keyspace's current entries, then follows its changes. */
  constructor(keyspace: Keyspace, depth = DEFAULT_MERKLE_DEPTH) {
    if (!Number.isInteger(depth) || depth < 1 || depth > 6) {
      throw new RangeError(`Merkle depth must be an integer in 1..6, got ${depth}`);
    }
    this.depth = depth;
    this.#keyspace = keyspace;
    for (let l = 0; l <= depth; l++) this.#levels.push(new Uint32Array(2 * MERKLE_FAN_OUT ** l));
    for (const key of keyspace.keys()) this.#dirty.add(key);
    this.#unsubscribe = keyspace.subscribe((change) => {
      for (const key of change.touched) this.#dirty.add(key);
    });
  }

  /** Stops following the keyspace. */
  detach(): void {
    this.#unsubscribe();
  }

  /** The leaf bucket of a key. */
  bucketOf(key: string): number {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = murmur3(utf8Bytes(key), 0x3c6ef372) % MERKLE_FAN_OUT ** this.depth;
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }

  /** The 8-byte digest of node `index` at `level` (0 is the root). */
  digest(level: number, index: number): Uint8Array {
    this.flush();
    const nodes = this.#levels[level] as Uint32Array;
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, nodes[2 * index] as number);
    view.setUint32(4, nodes[2 * index + 1] as number);
    return out;
  }

  /** The digest of node `index` at `level` folded to 32 bits under `salt` (see `salted32`). */
  saltedDigest(level: number, index: number, salt: number): number {
    this.flush();
    const nodes = this.#levels[level] as Uint32Array;
    return salted32(nodes[2 * index] as number, nodes[2 * index + 1] as number, salt);
  }

  /**
   * A salt for a new repair walk when the caller has no random source: it differs from walk to
   * walk and with the tree's content, so a short-hash collision does not repeat.
   */
  nextSalt(): number {
    this.flush();
    this.#walks += 1;
    const root = this.#levels[0] as Uint32Array;
    return salted32(root[0] as number, root[1] as number, Math.imul(this.#walks, 0x9e3779b1));
  }

  /** How many keys the tree holds. */
  get size(): number {
    this.flush();
    return this.#count;
  }

  /** The node at `level` whose subtree holds `key`'s bucket. */
  nodeOf(key: string, level: number): number {
    return Math.floor(this.bucketOf(key) / MERKLE_FAN_OUT ** (this.depth - level));
  }

  /**
   * Every key under node `index` at `level`, with the salted 32-bit hash of its entry. Reads the
   * stored 64-bit hashes, so it costs no serialisation: O(keys + buckets under the node).
   */
  saltedEntries(level: number, index: number, salt: number): [string, number][] {
    this.flush();
    const width = MERKLE_FAN_OUT ** (this.depth - level);
    const out: [string, number][] = [];
    for (let bucket = index * width; bucket < (index + 1) * width; bucket++) {
      const members = this.#members.get(bucket);
      if (members === undefined) continue;
      for (const [key, hash] of members) out.push([key, salted32(hash[0], hash[1], salt)]);
    }
    return out;
  }

  /** Keys currently in the given leaf buckets. */
  keysIn(buckets: Iterable<number>): string[] {
    this.flush();
    const keys: string[] = [];
    for (const bucket of buckets) {
      const members = this.#members.get(bucket);
      if (members !== undefined) for (const key of members.keys()) keys.push(key);
    }
    return keys;
  }

  /** Folds the hashes of keys changed since the last read into the tree. */
  flush(): void {
    if (this.#dirty.size === 0) return;
    for (const key of this.#dirty) {
      const bucket = this.bucketOf(key);
      let members = this.#members.get(bucket);
      const old = members?.get(key);
      const entry = this.#keyspace.get(key);
      let fresh: readonly [number, number] | undefined;
      if (entry !== undefined) {
        const type = this.#keyspace.registry.get(entry.tag);
        if (type !== undefined) fresh = entryHash(key, type, entry.state);
      }
      const x = (old?.[0] ?? 0) ^ (fresh?.[0] ?? 0);
      const y = (old?.[1] ?? 0) ^ (fresh?.[1] ?? 0);
      if (fresh === undefined) {
        if (old !== undefined) this.#count -= 1;
        members?.delete(key);
      } else {
        if (members === undefined) {
          members = new Map();
          this.#members.set(bucket, members);
        }
        if (old === undefined) this.#count += 1;
        members.set(key, fresh);
      }
      if (x === 0 && y === 0) continue;
      let index = bucket;
      for (let l = this.depth; l >= 0; l--) {
        const nodes = this.#levels[l] as Uint32Array;
        nodes[2 * index] = ((nodes[2 * index] as number) ^ x) >>> 0;
        nodes[2 * index + 1] = ((nodes[2 * index + 1] as number) ^ y) >>> 0;
        index = Math.floor(index / MERKLE_FAN_OUT);
      }
    }
    this.#dirty.clear();
  }
}
