import fc from "fast-check";
import { HEADER_BYTES } from "../envelope.js";

/** Where a length or count sits in a valid frame, and how wide it is. */
export interface LengthField {
  readonly at: number;
  /** 0 for the fix forms, where the length lives in the token's low bits. */
  readonly width: 0 | 1 | 2 | 4;
  /** Mask of the length bits for the fix forms. */
  readonly mask: number;
}

// Payload bytes of the fixed-size numbers: float 64, uint 8-64, int 8-64.
const FIXED_SIZES = new Map([
  [0xcb, 8],
  [0xcc, 1],
  [0xcd, 2],
  [0xce, 4],
  [0xcf, 8],
  [0xd0, 1],
  [0xd1, 2],
  [0xd2, 4],
  [0xd3, 8],
]);

/** The length fields of every string, byte array, array and map in a valid frame's body. */
export function lengthFields(frame: Uint8Array): LengthField[] {
  const fields: LengthField[] = [];
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  let pos = HEADER_BYTES;
  const value = (): void => {
    const at = pos;
    const token = frame[pos++] as number;
    const read = (width: 1 | 2 | 4): number => {
      fields.push({ at: at + 1, width, mask: 0 });
      const n =
        width === 1
          ? (frame[pos] as number)
          : width === 2
            ? view.getUint16(pos)
            : view.getUint32(pos);
      pos += width;
      return n;
    };
    const items = (n: number): void => {
      for (let i = 0; i < n; i++) value();
    };
    if (token <= 0x7f || token >= 0xe0 || token === 0xc0 || token === 0xc2 || token === 0xc3)
      return;
    if (token <= 0x8f) {
      fields.push({ at, width: 0, mask: 0x0f });
      items(2 * (token & 0x0f));
      return;
    }
    if (token <= 0x9f) {
      fields.push({ at, width: 0, mask: 0x0f });
      items(token & 0x0f);
      return;
    }
    if (token <= 0xbf) {
      fields.push({ at, width: 0, mask: 0x1f });
      pos += token & 0x1f;
      return;
    }
    const fixed = FIXED_SIZES.get(token);
    if (fixed !== undefined) {
      pos += fixed;
      return;
    }
    switch (token) {
      case 0xc4:
      case 0xd9:
        pos += read(1);
        return;
      case 0xc5:
      case 0xda:
        pos += read(2);
        return;
      case 0xc6:
      case 0xdb:
        pos += read(4);
        return;
      case 0xdc:
        items(read(2));
        return;
      case 0xdd:
        items(read(4));
        return;
      case 0xde:
        items(2 * read(2));
        return;
      case 0xdf:
        items(2 * read(4));
        return;
      default:
        throw new Error(`token 0x${token.toString(16)} in a frame the codec wrote`);
    }
  };
  value();
  return fields;
}

export type Mutation =
  | { readonly kind: "flip"; readonly at: number; readonly bit: number }
  | { readonly kind: "set"; readonly at: number; readonly value: number }
  | { readonly kind: "truncate"; readonly at: number }
  | { readonly kind: "delete"; readonly at: number; readonly length: number }
  | { readonly kind: "insert"; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: "splice"; readonly at: number; readonly from: number; readonly length: number }
  | { readonly kind: "inflate"; readonly field: number; readonly by: number };

const position = fc.nat({ max: 1 << 20 });

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("flip" as const),
      at: position,
      bit: fc.nat({ max: 7 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("set" as const),
      at: position,
      value: fc.nat({ max: 255 }),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: position }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("delete" as const),
      at: position,
      length: fc.integer({ min: 1, max: 8 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("insert" as const),
      at: position,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("splice" as const),
      at: position,
      from: position,
      length: fc.integer({ min: 1, max: 24 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("inflate" as const),
      field: position,
      by: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constant(0xffffffff)),
    }),
    weight: 2,
  },
);

/**
 * Applies a mutation to a copy of `frame`; `donor` supplies the bytes a splice copies in (another
 * valid frame, so spliced-in pieces are themselves well-formed MessagePack).
 */
export function mutate(frame: Uint8Array, m: Mutation, donor: Uint8Array): Uint8Array {
  const at = frame.length === 0 ? 0 : m.kind === "inflate" ? 0 : m.at % (frame.length + 1);
  const index = Math.min(at, frame.length - 1);
  switch (m.kind) {
    case "flip": {
      const out = frame.slice();
      if (out.length > 0) out[index] = (out[index] as number) ^ (1 << m.bit);
      return out;
    }
    case "set": {
      const out = frame.slice();
      if (out.length > 0) out[index] = m.value;
      return out;
    }
    case "truncate":
      return frame.slice(0, at);
    case "delete":
      return concat(frame.subarray(0, at), frame.subarray(at + m.length));
    case "insert":
      return concat(frame.subarray(0, at), m.bytes, frame.subarray(at));
    case "splice": {
      const from = m.from % Math.max(1, donor.length);
      return concat(
        frame.subarray(0, at),
        donor.subarray(from, from + m.length),
        frame.subarray(at + m.length),
      );
    }
    case "inflate":
      return inflate(frame, m.field, m.by);
  }
}

/** Makes one length prefix claim more than is there: by a little, or by as much as it can hold. */
function inflate(frame: Uint8Array, which: number, by: number): Uint8Array {
  let fields: LengthField[];
  try {
    fields = lengthFields(frame);
  } catch {
    return frame.slice();
  }
  const out = frame.slice();
  const field = fields[which % Math.max(1, fields.length)];
  if (field === undefined) return out;
  const view = new DataView(out.buffer);
  if (field.width === 0) {
    const token = out[field.at] as number;
    const length = Math.min(field.mask, (token & field.mask) + by);
    out[field.at] = (token & ~field.mask) | length;
  } else if (field.width === 1) {
    out[field.at] = Math.min(0xff, (out[field.at] as number) + by);
  } else if (field.width === 2) {
    view.setUint16(field.at, Math.min(0xffff, view.getUint16(field.at) + by));
  } else {
    view.setUint32(field.at, Math.min(0xffffffff, view.getUint32(field.at) + by));
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
