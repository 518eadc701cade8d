import {
  type CrdtType,
  DecodeError,
  type DecodeLimits,
  type WireForm,
  type WirePlain,
} from "@convergent/core";
import { requireCanonical } from "./canonical.js";
import { checkFrame, FrameKind } from "./envelope.js";
import { DuplicateTypeError, EncodeError } from "./errors.js";
import { resolveLimits } from "./limits.js";
import { packFrame, unpackBody } from "./msgpack.js";
import { encodeState, readStateBody } from "./state-frame.js";
import { type AnyCrdtType, checkType, makeEntry, type TypeEntry } from "./type-entry.js";

export type { AnyCrdtType } from "./type-entry.js";

/**
 * A type plus the decoders of wire layouts it used to write: frames with one of those older
 * versions still decode (and are re-encoded, when sent on, in the current layout).
 */
export interface TypeRegistration<S = unknown> {
  readonly type: CrdtType<S, unknown>;
  readonly legacy?: readonly WireForm<S>[];
}

export interface CodecOptions {
  /** Types to register; more can be added with `register`. */
  readonly types?: readonly (AnyCrdtType | TypeRegistration)[];
  /** Overrides of core's DEFAULT_DECODE_LIMITS; encode enforces the same limits. */
  readonly limits?: Partial<DecodeLimits>;
  /**
   * Also reject any frame that is not the exact bytes this codec would write for what it holds
   * (default false), at the cost of a full encode per decode. Off, a frame with non-shortest
   * numbers, unsorted map keys or a reordered replica table still decodes to a valid state, and
   * encoding that state gives the canonical bytes: to hash or compare a peer's frame, re-encode.
   */
  readonly verifyCanonical?: boolean;
}

export interface DecodedFrame {
  readonly type: AnyCrdtType;
  readonly state: unknown;
}

/**
 * Encodes CRDT states and plain messages into versioned, canonical frames and decodes them back
 * under strict limits. Types register by their tag (`CrdtType.name`); users can register their
 * own. Every decode failure is a DecodeError and leaves no state behind.
 */
export class CodecRegistry {
  readonly limits: DecodeLimits;
  readonly verifyCanonical: boolean;
  readonly #entries = new Map<string, TypeEntry>();

  constructor(options: CodecOptions = {}) {
    this.limits = resolveLimits(options.limits);
    this.verifyCanonical = options.verifyCanonical ?? false;
    for (const item of options.types ?? []) {
      if ("type" in item) this.register(item.type, item);
      else this.register(item);
    }
  }

  /**
   * Adds a type under its tag, with the wire forms of older layouts it can still read. Throws
   * DuplicateTypeError if the tag is taken, InvalidArgumentError for a bad tag or wire form.
   */
  register<S>(type: CrdtType<S, unknown>, options: { legacy?: readonly WireForm<S>[] } = {}): this {
    const entry = makeEntry(
      type as AnyCrdtType,
      (options.legacy ?? []) as readonly WireForm<unknown>[],
    );
    if (this.#entries.has(type.name)) throw new DuplicateTypeError(type.name);
    this.#entries.set(type.name, entry);
    return this;
  }

  has(tag: string): boolean {
    return this.#entries.has(tag);
  }

  get(tag: string): AnyCrdtType | undefined {
    return this.#entries.get(tag)?.type;
  }

  /** The registered tags, in registration order. */
  tags(): string[] {
    return [...this.#entries.keys()];
  }

  /**
   * One state as a frame. Pass the type itself (registered or not) or a registered tag. Throws
   * EncodeError when the state holds something the format cannot carry or breaks a limit.
   */
  encode<S>(type: CrdtType<S, unknown>, state: S): Uint8Array;
  encode(tag: string, state: unknown): Uint8Array;
  encode(typeOrTag: AnyCrdtType | string, state: unknown): Uint8Array {
    if (typeof typeOrTag !== "string") {
      checkType(typeOrTag);
      return encodeState(typeOrTag, state, this.limits);
    }
    const entry = this.#entries.get(typeOrTag);
    if (entry === undefined) {
      throw new EncodeError("UNKNOWN_TYPE", `no type is registered under "${typeOrTag}"`);
    }
    return encodeState(entry.type, state, this.limits);
  }

  /** Decodes a state frame of any registered type. Throws only DecodeError. */
  decode(bytes: Uint8Array): DecodedFrame {
    return guard(() => this.#decodeState(bytes, undefined));
  }

  /** Decodes a state frame that must hold `type` (WRONG_TYPE otherwise). Throws only DecodeError. */
  decodeAs<S, V>(type: CrdtType<S, V>, bytes: Uint8Array): S {
    return guard(() => this.#decodeState(bytes, type as AnyCrdtType).state as S);
  }

  /** A non-CRDT message (such as a sync protocol message) as a frame, under the same rules. */
  encodePlain(value: WirePlain): Uint8Array {
    return packFrame(FrameKind.PLAIN, value, this.limits);
  }

  /** Decodes a frame written by `encodePlain`. Throws only DecodeError. */
  decodePlain(bytes: Uint8Array): WirePlain {
    return guard(() => {
      if (checkFrame(bytes, this.limits.maxFrameBytes) !== FrameKind.PLAIN) {
        throw new DecodeError("WRONG_TYPE", "the frame holds a CRDT state; use decode");
      }
      const value = unpackBody(bytes, this.limits);
      if (this.verifyCanonical) requireCanonical(bytes, () => this.encodePlain(value));
      return value;
    });
  }

  #decodeState(bytes: Uint8Array, expected: AnyCrdtType | undefined): DecodedFrame {
    if (checkFrame(bytes, this.limits.maxFrameBytes) !== FrameKind.STATE) {
      throw new DecodeError("WRONG_TYPE", "the frame holds a plain message; use decodePlain");
    }
    const body = unpackBody(bytes, this.limits);
    const { entry, state, current } = readStateBody(
      body,
      (tag) => this.#entryFor(tag, expected),
      this.limits,
    );
    if (this.verifyCanonical && current) {
      requireCanonical(bytes, () => encodeState(entry.type, state, this.limits));
    }
    return { type: entry.type, state };
  }

  /** The registered entry, or for decodeAs the expected type (which need not be registered). */
  #entryFor(tag: string, expected: AnyCrdtType | undefined): TypeEntry {
    const entry = this.#entries.get(tag);
    if (expected === undefined) {
      if (entry === undefined) {
        throw new DecodeError("UNKNOWN_TYPE", `no type is registered under "${tag}"`);
      }
      return entry;
    }
    if (tag !== expected.name) {
      throw new DecodeError("WRONG_TYPE", `the frame holds "${tag}", not "${expected.name}"`);
    }
    return entry?.type === expected ? entry : { type: expected, legacy: new Map() };
  }
}

/** A codec with the given types registered. */
export function createCodec(options: CodecOptions = {}): CodecRegistry {
  return new CodecRegistry(options);
}

/** Whatever escapes a decode becomes a DecodeError; only DecodeError ever leaves decode. */
function guard<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError("MALFORMED", "the frame could not be decoded", { cause: error });
  }
}
