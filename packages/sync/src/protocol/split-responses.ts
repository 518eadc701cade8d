/**
 * Reassembly of sync responses split across frames, for causal delivery. The keys of a response
 * are causally closed only as a whole: a key in one part may hold an update that depends on an
 * update whose key travels in another part, and the response's context may only be joined once
 * every entry it covers is in. So a causal receiver buffers the parts of a response and applies
 * them as one SyncResponse, atomically, when the last one arrives; until then it shows none.
 *
 * Bounded per connection: one response at a time, at most `maxParts` parts and `maxBytes` frame
 * bytes. A part of a newer response (higher id) abandons the one being assembled, since the
 * newer answer was computed later and brings everything the older would have; parts of older,
 * finished or abandoned responses are ignored; a response beyond the bounds is abandoned whole.
 * The engine drops the assembler when the connection breaks, so nothing outlives a connection,
 * and a response that never completes holds its buffer only until the next response or break.
 */
import { DecodeError } from "@convergent/core";
import type { DottedEntry } from "../keyspace/keyspace.js";
import type { SyncResponse, SyncResponsePart } from "./messages.js";

export interface SplitResponseLimits {
  /** Most parts of one response held (default 1,024). */
  readonly maxParts: number;
  /** Most frame bytes of one response held (default 64 MiB). */
  readonly maxBytes: number;
  /**
   * Most frame bytes held over all connections (default 256 MiB): a part that would pass it
   * abandons its own connection's response.
   */
  readonly maxTotalBytes: number;
}

export const DEFAULT_SPLIT_RESPONSE_LIMITS: SplitResponseLimits = {
  maxParts: 1024,
  maxBytes: 64 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
};

/** The parts of one connection's split responses; `onAbandon` counts each response given up. */
export class ResponseAssembler {
  readonly #limits: SplitResponseLimits;
  readonly #onAbandon: () => void;
  /** Highest id completed or abandoned: its parts, and those of older responses, are stale. */
  #finished = 0;
  #id = 0;
  #count = 0;
  readonly #parts = new Map<number, SyncResponsePart>();
  #bytes = 0;

  constructor(limits: SplitResponseLimits, onAbandon: () => void) {
    this.#limits = limits;
    this.#onAbandon = onAbandon;
  }

  /** Parts held. */
  get parts(): number {
    return this.#parts.size;
  }

  /** Frame bytes of the parts held. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Takes one part that arrived in a frame of `frameBytes` bytes; returns the whole response
   * once its last part is in, else undefined. Throws DecodeError (having abandoned the
   * response) when the part contradicts the parts before it.
   */
  add(part: SyncResponsePart, frameBytes: number): SyncResponse | undefined {
    if (part.id <= this.#finished) return undefined;
    if (this.#parts.size > 0) {
      if (part.id < this.#id) return undefined;
      if (part.id > this.#id) this.#abandon();
    }
    if (this.#parts.size === 0) {
      this.#id = part.id;
      this.#count = part.count;
    } else if (part.count !== this.#count) {
      this.#abandon();
      throw new DecodeError("INVALID_VALUE", "parts of one sync response disagree on their count");
    }
    if (this.#parts.has(part.index)) return undefined;
    if (this.#count > this.#limits.maxParts || this.#bytes + frameBytes > this.#limits.maxBytes) {
      this.#abandon();
      return undefined;
    }
    this.#parts.set(part.index, part);
    this.#bytes += frameBytes;
    if (this.#parts.size < this.#count) return undefined;
    const entries: DottedEntry[] = [];
    for (let i = 0; i < this.#count; i++) {
      for (const entry of (this.#parts.get(i) as SyncResponsePart).entries) entries.push(entry);
    }
    const { context } = part;
    this.#finish();
    return { kind: "sync-response", context, entries };
  }

  /** Gives up the response being assembled (the connection broke). */
  clear(): void {
    if (this.#parts.size > 0) this.#abandon();
  }

  #abandon(): void {
    this.#finish();
    this.#onAbandon();
  }

  #finish(): void {
    this.#finished = Math.max(this.#finished, this.#id);
    this.#parts.clear();
    this.#bytes = 0;
  }
}
