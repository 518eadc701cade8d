/**
 * What the conformance cases share: the harness an adapter's test provides, and checks that
 * throw a plain Error (no test framework), so the cases also run inside a browser page.
 */
import type { StorageAdapter, StorageSnapshot } from "../storage.js";

export interface StorageHarness {
  open(): StorageAdapter;
  /** Removes the data once the case is over (adapters are closed by then). */
  dispose?(): Promise<void>;
  /**
   * Until the returned function is called, every commit that appends a delta fails while
   * appending it: after the group's state writes (and the delta removals they imply) already
   * ran inside the transaction, so only the rollback keeps them invisible. Absent where a
   * commit cannot fail (memory); cases that need it say so with `requires`.
   */
  failDeltaAppends?(): Promise<() => Promise<void>>;
}

export type CaseBody = (open: () => StorageAdapter, harness: StorageHarness) => Promise<void>;

export interface CaseSpec {
  readonly name: string;
  readonly requires?: "failDeltaAppends";
  readonly body: CaseBody;
}

export const bytes = (...values: number[]) => new Uint8Array(values);
export const utf8 = (text: string) => new TextEncoder().encode(text);

export function fail(message: string): never {
  throw new Error(message);
}

export function expectTrue(condition: boolean, message: string): void {
  if (!condition) fail(message);
}

const show = (value: Uint8Array | undefined) =>
  value === undefined ? "absent" : `[${value.length} bytes: ${[...value.slice(0, 8)]}…]`;

export function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

export type Expected = Readonly<Record<string, Uint8Array>>;
export type ExpectedDeltas = Readonly<Record<string, readonly Uint8Array[]>>;

function expectPlain(value: Uint8Array, what: string): void {
  if (Object.getPrototypeOf(value) !== Uint8Array.prototype) {
    fail(`${what} values must be plain Uint8Array, got ${Object.prototype.toString.call(value)}`);
  }
}

function expectMap(actual: Map<string, Uint8Array>, expected: Expected, what: string): void {
  const names = new Set([...actual.keys(), ...Object.keys(expected)]);
  for (const name of names) {
    const got = actual.get(name);
    if (!sameBytes(got, expected[name])) {
      fail(`${what} ${JSON.stringify(name)}: expected ${show(expected[name])}, got ${show(got)}`);
    }
  }
  for (const value of actual.values()) expectPlain(value, what);
}

function expectDeltas(actual: Map<string, Uint8Array[]>, expected: ExpectedDeltas, when: string) {
  const keys = new Set([...actual.keys(), ...Object.keys(expected)]);
  for (const key of keys) {
    const got = actual.get(key);
    const want = expected[key];
    if (got !== undefined && got.length === 0) {
      fail(`${when}deltas of ${JSON.stringify(key)}: a key without delta rows must be absent`);
    }
    const count = (rows: readonly Uint8Array[] | undefined) => rows?.length ?? 0;
    if (count(got) !== count(want)) {
      fail(
        `${when}deltas of ${JSON.stringify(key)}: expected ${count(want)} rows, got ${count(got)}`,
      );
    }
    for (let i = 0; i < count(got); i += 1) {
      if (!sameBytes(got?.[i], want?.[i])) {
        const detail = `expected ${show(want?.[i])}, got ${show(got?.[i])}`;
        fail(`${when}delta ${i} of ${JSON.stringify(key)}: ${detail}`);
      }
      expectPlain(got![i]!, `${when}delta`);
    }
  }
}

export interface ExpectedSnapshot {
  readonly entries?: Expected;
  readonly deltas?: ExpectedDeltas;
  readonly meta?: Expected;
}

/** The snapshot holds exactly what is expected: what is not listed must be absent. */
export function expectSnapshot(
  snapshot: StorageSnapshot,
  expected: ExpectedSnapshot,
  when = "",
): void {
  expectMap(snapshot.entries, expected.entries ?? {}, `${when}entry`);
  expectDeltas(snapshot.deltas, expected.deltas ?? {}, when);
  expectMap(snapshot.meta, expected.meta ?? {}, `${when}meta`);
}

export async function expectRejects(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  code: string,
): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof type) || (error as { code?: unknown }).code !== code) {
      fail(`expected ${type.name} (${code}), got ${String(error)}`);
    }
    return;
  }
  fail(`expected a rejection with ${type.name}, but the promise resolved`);
}

export async function reopened(open: () => StorageAdapter, previous: StorageAdapter) {
  await previous.close();
  return open().load();
}
