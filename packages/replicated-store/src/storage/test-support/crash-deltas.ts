/**
 * The delta part of the crash test, shared by the child that writes and the parent that checks.
 * Batch i touches key `d<i mod DELTA_KEYS>`: it appends a delta row holding i, after (in the
 * same batch) either nothing, a fold (the state row becomes the list of every number the key
 * held, so its delta rows are removed), or a delete (state row and delta rows removed, and meta
 * `reset d<k>` = i). After any crash, the state row's numbers followed by the delta rows'
 * numbers must be exactly the key's batch numbers from its last reset up to meta "next".
 */
import type { StorageSnapshot } from "../storage.js";

export const DELTA_KEYS = 8;
const FOLD_CHANCE = 0.2;
const DELETE_CHANCE = 0.03;

export const deltaKey = (i: number) => `d${i % DELTA_KEYS}`;
const resetName = (key: string) => `reset ${key}`;

const u32 = (value: number) => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
};

const u32At = (bytes: Uint8Array, offset: number) =>
  new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset);

/** Delta row i: the number, then filler of a varying length made of its own byte. */
function deltaRow(i: number, fillerLength: number): Uint8Array {
  const row = new Uint8Array(4 + fillerLength).fill(i % 251);
  row.set(u32(i));
  return row;
}

function decodeDelta(row: Uint8Array): number {
  if (row.length < 4) throw new Error(`a delta row of ${row.length} bytes`);
  const i = u32At(row, 0);
  if (row.subarray(4).some((byte) => byte !== i % 251)) throw new Error(`delta row ${i} is torn`);
  return i;
}

const encodeState = (numbers: readonly number[]) => {
  const out = new Uint8Array(4 * numbers.length);
  const view = new DataView(out.buffer);
  numbers.forEach((i, at) => {
    view.setUint32(4 * at, i);
  });
  return out;
};

function decodeState(row: Uint8Array | undefined): number[] {
  if (row === undefined) return [];
  if (row.length % 4 !== 0) throw new Error(`a state row of ${row.length} bytes`);
  return Array.from({ length: row.length / 4 }, (_, at) => u32At(row, 4 * at));
}

/** What a key holds, in the order recovery reads it: the state row's numbers, then its deltas. */
const heldBy = (snapshot: StorageSnapshot, key: string): number[] => [
  ...decodeState(snapshot.entries.get(key)),
  ...(snapshot.deltas.get(key) ?? []).map(decodeDelta),
];

export interface Touch {
  readonly entries: ReadonlyArray<readonly [string, Uint8Array | null]>;
  readonly delta: Uint8Array;
  readonly meta: ReadonlyArray<readonly [string, Uint8Array]>;
}

/** The child's view of the delta keys, recovered from storage, kept as batches are issued. */
export function deltaKeysFrom(snapshot: StorageSnapshot) {
  const held = new Map<string, number[]>();
  for (let k = 0; k < DELTA_KEYS; k += 1) held.set(`d${k}`, heldBy(snapshot, `d${k}`));
  return {
    /** The writes of batch i for its delta key; `random` picks the kind and the row size. */
    touch(i: number, random: () => number): Touch {
      const key = deltaKey(i);
      const numbers = held.get(key)!;
      const delta = deltaRow(i, Math.floor(random() * 500));
      const roll = random();
      if (roll < DELETE_CHANCE) {
        held.set(key, [i]);
        return { entries: [[key, null]], delta, meta: [[resetName(key), u32(i)]] };
      }
      if (roll < DELETE_CHANCE + FOLD_CHANCE) {
        const state = encodeState(numbers);
        numbers.push(i);
        return { entries: [[key, state]], delta, meta: [] };
      }
      numbers.push(i);
      return { entries: [], delta, meta: [] };
    },
  };
}

function firstDifference(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) if (a[i] !== b[i]) return i;
  return -1;
}

/** Every way the delta keys differ from batches 0 .. next - 1 having committed whole. */
export function deltaKeyProblems(snapshot: StorageSnapshot, next: number): string[] {
  const problems: string[] = [];
  for (let k = 0; k < DELTA_KEYS; k += 1) {
    const key = `d${k}`;
    const reset = snapshot.meta.get(resetName(key));
    const from = reset === undefined ? 0 : u32At(reset, 0);
    const expected: number[] = [];
    for (let i = from; i < next; i += 1) if (deltaKey(i) === key) expected.push(i);
    let held: number[];
    try {
      held = heldBy(snapshot, key);
    } catch (error) {
      problems.push(`${key}: ${String(error)}`);
      continue;
    }
    const at = firstDifference(held, expected);
    if (at !== -1) {
      problems.push(
        `${key} from batch ${from}: at position ${at} of ${expected.length} it holds ` +
          `${held[at] ?? "nothing"} (of ${held.length} numbers), expected ${expected[at] ?? "nothing"}`,
      );
    }
  }
  return problems;
}
