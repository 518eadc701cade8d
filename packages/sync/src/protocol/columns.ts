/**
 * Column-wise encoding of many wire-form outputs of one type. Rows that share a shape (say
 * `[millis, counter, replica, bytes]` for every register in a batch) are written column by
 * column: an integer column as its first value and zigzag deltas (or one value when constant),
 * a byte column as one length and the raw bytes when every row has the same length. A batch of
 * timestamps taken close together then costs a byte or two each instead of six. Leaves whose
 * kind varies fall back to the tagged plain form of `plain.ts`, so any wire form is accepted.
 */
import { DecodeError, type DecodeLimits, type WirePlain } from "@convergent/core";
import type { ByteReader, ByteWriter } from "./bytes.js";
import { readPlain, writePlain } from "./plain.js";

type Shape =
  | { readonly kind: "int" | "string" | "bytes" | "plain" }
  | { readonly kind: "array"; readonly items: readonly Shape[] };

// Column integers stay below 2^50 so a delta and its zigzag form remain safe integers.
const MAX_COLUMN_INT = 2 ** 50;
// Arrays longer than this are variable data (a set's elements), not a fixed record.
const MAX_RECORD_WIDTH = 16;
const MAX_LEAVES = 64;

const PLAIN: Shape = { kind: "plain" };
const INT: Shape = { kind: "int" };
const STRING: Shape = { kind: "string" };
const BYTES: Shape = { kind: "bytes" };

function shapeOf(value: WirePlain, depth: number): Shape {
  if (
    typeof value === "number" &&
    Number.isSafeInteger(value) &&
    Math.abs(value) < MAX_COLUMN_INT
  ) {
    return INT;
  }
  if (typeof value === "string") return STRING;
  if (value instanceof Uint8Array) return BYTES;
  if (Array.isArray(value) && value.length <= MAX_RECORD_WIDTH && depth < 4) {
    return {
      kind: "array",
      items: (value as readonly WirePlain[]).map((v) => shapeOf(v, depth + 1)),
    };
  }
  return PLAIN;
}

function unify(a: Shape, b: Shape): Shape {
  if (a.kind === "array" && b.kind === "array") {
    if (a.items.length !== b.items.length) return PLAIN;
    return { kind: "array", items: a.items.map((item, i) => unify(item, b.items[i] as Shape)) };
  }
  return a.kind === b.kind ? a : PLAIN;
}

function leafCount(shape: Shape): number {
  return shape.kind === "array" ? shape.items.reduce((n, s) => n + leafCount(s), 0) : 1;
}

const SHAPE_CODES = { plain: 0, int: 1, string: 2, bytes: 3, array: 4 } as const;

function writeShape(writer: ByteWriter, shape: Shape): void {
  writer.byte(SHAPE_CODES[shape.kind]);
  if (shape.kind === "array") {
    writer.uint(shape.items.length);
    for (const item of shape.items) writeShape(writer, item);
  }
}

function readShape(reader: ByteReader, budget: { leaves: number }, depth: number): Shape {
  if (depth > 4) throw new DecodeError("LIMIT_EXCEEDED", "column shape nested too deeply");
  const code = reader.byte();
  if (code === 4) {
    const width = reader.uintAtMost(MAX_RECORD_WIDTH, "record width");
    const items: Shape[] = [];
    for (let i = 0; i < width; i++) items.push(readShape(reader, budget, depth + 1));
    return { kind: "array", items };
  }
  budget.leaves += 1;
  if (budget.leaves > MAX_LEAVES) throw new DecodeError("LIMIT_EXCEEDED", "too many columns");
  if (code === 0) return PLAIN;
  if (code === 1) return INT;
  if (code === 2) return STRING;
  if (code === 3) return BYTES;
  throw new DecodeError("MALFORMED", `unknown column shape ${code}`);
}

/** The leaf values of each row, column by column. */
function columnsOf(shape: Shape, rows: readonly WirePlain[], out: WirePlain[][]): void {
  if (shape.kind !== "array") {
    out.push(rows as WirePlain[]);
    return;
  }
  shape.items.forEach((item, i) => {
    columnsOf(
      item,
      rows.map((row) => (row as readonly WirePlain[])[i] as WirePlain),
      out,
    );
  });
}

/** Whether `value` has exactly `shape`, without allocating (the common case: every row fits). */
function fits(shape: Shape, value: WirePlain): boolean {
  switch (shape.kind) {
    case "int":
      return (
        typeof value === "number" && Number.isSafeInteger(value) && Math.abs(value) < MAX_COLUMN_INT
      );
    case "string":
      return typeof value === "string";
    case "bytes":
      return value instanceof Uint8Array;
    case "plain":
      return true;
    default: {
      if (!Array.isArray(value) || value.length !== shape.items.length) return false;
      const items = value as readonly WirePlain[];
      return shape.items.every((item, i) => fits(item, items[i] as WirePlain));
    }
  }
}

export function writeRows(writer: ByteWriter, rows: readonly WirePlain[]): void {
  // One row gains nothing from columns, so it goes in the plain form with no shape before it.
  if (rows.length === 1) {
    writePlain(writer, rows[0] as WirePlain);
    return;
  }
  let shape = shapeOf(rows[0] ?? null, 0);
  for (let i = 1; i < rows.length && shape.kind !== "plain"; i++) {
    const row = rows[i] as WirePlain;
    if (!fits(shape, row)) shape = unify(shape, shapeOf(row, 0));
  }
  if (leafCount(shape) > MAX_LEAVES) shape = PLAIN;
  writeShape(writer, shape);
  const columns: WirePlain[][] = [];
  columnsOf(shape, rows, columns);
  const leaves: Shape[] = [];
  collectLeaves(shape, leaves);
  for (const [i, leaf] of leaves.entries()) writeColumn(writer, leaf, columns[i] as WirePlain[]);
}

function collectLeaves(shape: Shape, out: Shape[]): void {
  if (shape.kind === "array") for (const item of shape.items) collectLeaves(item, out);
  else out.push(shape);
}

function writeColumn(writer: ByteWriter, leaf: Shape, values: readonly WirePlain[]): void {
  switch (leaf.kind) {
    case "int": {
      const ints = values as readonly number[];
      const first = ints[0] as number;
      if (ints.every((v) => v === first)) {
        writer.byte(0);
        writer.int(first);
      } else {
        writer.byte(1);
        let previous = 0;
        for (const v of ints) {
          writer.int(v - previous);
          previous = v;
        }
      }
      return;
    }
    case "bytes": {
      const list = values as readonly Uint8Array[];
      const length = (list[0] as Uint8Array).length;
      if (list.every((b) => b.length === length)) {
        writer.byte(0);
        writer.uint(length);
        for (const b of list) writer.raw(b);
      } else {
        writer.byte(1);
        for (const b of list) writer.bytes(b);
      }
      return;
    }
    case "string":
      for (const s of values as readonly string[]) writer.string(s);
      return;
    default:
      for (const v of values) writePlain(writer, v);
  }
}

/** Reads `count` rows written by `writeRows`. */
export function readRows(reader: ByteReader, count: number, limits: DecodeLimits): WirePlain[] {
  if (count === 1) return [readPlain(reader, limits)];
  const shape = readShape(reader, { leaves: 0 }, 0);
  const leaves: Shape[] = [];
  collectLeaves(shape, leaves);
  const columns = leaves.map((leaf) => readColumn(reader, leaf, count, limits));
  let next = 0;
  const build = (s: Shape, row: number): WirePlain => {
    if (s.kind === "array") return s.items.map((item) => build(item, row));
    return (columns[next++] as WirePlain[])[row] as WirePlain;
  };
  const rows: WirePlain[] = [];
  for (let row = 0; row < count; row++) {
    next = 0;
    rows.push(build(shape, row));
  }
  return rows;
}

function readColumn(
  reader: ByteReader,
  leaf: Shape,
  count: number,
  limits: DecodeLimits,
): WirePlain[] {
  const values: WirePlain[] = [];
  switch (leaf.kind) {
    case "int": {
      const mode = reader.byte();
      if (mode === 0) {
        const value = columnInt(reader.int());
        for (let i = 0; i < count; i++) values.push(value);
      } else if (mode === 1) {
        let previous = 0;
        for (let i = 0; i < count; i++) {
          previous = columnInt(previous + reader.int());
          values.push(previous);
        }
      } else throw new DecodeError("MALFORMED", `unknown integer column mode ${mode}`);
      return values;
    }
    case "bytes": {
      const mode = reader.byte();
      if (mode === 0) {
        const length = reader.uintAtMost(limits.maxFrameBytes, "byte string length");
        if (length * count > reader.remaining)
          throw new DecodeError("TRUNCATED", "byte column is cut short");
        // One copy for the whole column, then views into it: a buffer per value would be most of
        // the decoding time. The column is no larger than the values it holds.
        const column = reader.raw(length * count);
        for (let i = 0; i < count; i++) values.push(column.subarray(i * length, (i + 1) * length));
      } else if (mode === 1) {
        for (let i = 0; i < count; i++) values.push(reader.bytes(limits.maxFrameBytes));
      } else throw new DecodeError("MALFORMED", `unknown byte column mode ${mode}`);
      return values;
    }
    case "string":
      for (let i = 0; i < count; i++) values.push(reader.string(limits.maxStringLength));
      return values;
    default:
      for (let i = 0; i < count; i++) values.push(readPlain(reader, limits));
      return values;
  }
}

function columnInt(value: number): number {
  if (Math.abs(value) >= MAX_COLUMN_INT)
    throw new DecodeError("INVALID_VALUE", "column integer out of range");
  return value;
}
