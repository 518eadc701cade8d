/**
 * One conformance suite for every StorageAdapter, runnable anywhere (Node under vitest, or a
 * real browser page): it depends on nothing but the adapter, and each case throws on failure.
 * Each case gets a fresh harness; `open()` on one harness reopens the same underlying data.
 * The cases about delta rows are in delta-cases.ts.
 */
import { InvalidArgumentError } from "@convergent/core";
import { StorageClosedError } from "../errors.js";
import type { StorageAdapter } from "../storage.js";
import {
  bytes,
  type CaseBody,
  type CaseSpec,
  type Expected,
  expectRejects,
  expectSnapshot,
  expectTrue,
  reopened,
  type StorageHarness,
  sameBytes,
  utf8,
} from "./conformance-kit.js";
import { deltaCases } from "./delta-cases.js";

export type { StorageHarness } from "./conformance-kit.js";

export interface ConformanceCase {
  readonly name: string;
  /** A capability the harness must have; a harness without it cannot run the case. */
  readonly requires?: CaseSpec["requires"];
  run(): Promise<void>;
}

/** Runs `body` with a fresh harness, closing what it opened and disposing the data after. */
function scenario(
  makeHarness: () => StorageHarness | Promise<StorageHarness>,
  body: CaseBody,
): () => Promise<void> {
  return async () => {
    const harness = await makeHarness();
    const opened: StorageAdapter[] = [];
    const open = () => {
      const storage = harness.open();
      opened.push(storage);
      return storage;
    };
    try {
      await body(open, harness);
    } finally {
      await Promise.allSettled(opened.map((storage) => storage.close()));
      await harness.dispose?.();
    }
  };
}

export function storageConformance(
  makeHarness: () => StorageHarness | Promise<StorageHarness>,
): ConformanceCase[] {
  const cases: Array<[string, CaseBody]> = [
    [
      "a new storage loads empty and has committed nothing",
      async (open) => {
        const storage = open();
        expectSnapshot(await storage.load(), {});
        expectTrue(storage.commits === 0, `commits is ${storage.commits}, expected 0`);
      },
    ],
    [
      "round trip: entries, deltas and meta survive close and reopen, byte for byte",
      async (open) => {
        const large = new Uint8Array(100_000).map((_, i) => (i * 7 + 3) % 256);
        const entries: Expected = {
          "": bytes(1),
          plain: bytes(),
          "é 🙂 キー": large,
          "nul\u0000inside": bytes(0, 255, 0),
          ["k".repeat(2000)]: utf8("long key"),
        };
        const meta: Expected = { context: bytes(9, 9), hlc: bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10) };
        // Keys of every shape carry deltas too, with and without a state row.
        const deltas = {
          "": [bytes(), large],
          "nul\u0000inside": [bytes(0), bytes(0, 0)],
          ["k".repeat(2000)]: [utf8("long key's delta")],
          "only deltas 🙂": [bytes(1), bytes(2), bytes(3)],
        };
        const storage = open();
        await storage.write({
          entries: Object.entries(entries),
          deltas: Object.entries(deltas).flatMap(([key, rows]) => rows.map((row) => [key, row])),
          meta: Object.entries(meta),
        });
        const expected = { entries, deltas, meta };
        expectSnapshot(await storage.load(), expected, "before reopen: ");
        expectSnapshot(await reopened(open, storage), expected, "after reopen: ");
      },
    ],
    [
      "a null entry deletes the key; deleting a missing key is a no-op",
      async (open) => {
        const storage = open();
        await storage.write({
          entries: [
            ["a", bytes(1)],
            ["b", bytes(2)],
          ],
        });
        await storage.write({
          entries: [
            ["a", null],
            ["never-written", null],
          ],
        });
        expectSnapshot(await storage.load(), { entries: { b: bytes(2) } });
        expectSnapshot(
          await reopened(open, storage),
          { entries: { b: bytes(2) } },
          "after reopen: ",
        );
      },
    ],
    [
      "meta is its own namespace, and a later meta write replaces the earlier",
      async (open) => {
        const storage = open();
        await storage.write({ entries: [["hlc", bytes(1)]], meta: [["hlc", bytes(2)]] });
        await storage.write({
          meta: [
            ["hlc", bytes(3)],
            ["dots", bytes(4)],
          ],
        });
        await storage.write({ entries: [["hlc", null]] });
        const expected = { hlc: bytes(3), dots: bytes(4) };
        expectSnapshot(await storage.load(), { meta: expected });
        expectSnapshot(await reopened(open, storage), { meta: expected }, "after reopen: ");
      },
    ],
    [
      "a burst of concurrent writes is group-committed into one transaction",
      async (open) => {
        const storage = open();
        const before = storage.commits;
        const writes = Array.from({ length: 500 }, (_, i) =>
          storage.write({ entries: [[`key-${i}`, bytes(i % 256, i >> 8)]] }),
        );
        await Promise.all(writes);
        const used = storage.commits - before;
        expectTrue(used === 1, `500 writes issued together took ${used} transactions, expected 1`);
        const snapshot = await reopened(open, storage);
        expectTrue(snapshot.entries.size === 500, `found ${snapshot.entries.size} of 500 entries`);
        expectTrue(sameBytes(snapshot.entries.get("key-499"), bytes(243, 1)), "key-499 is wrong");
      },
    ],
    [
      "writes issued while a commit is pending share the next transaction",
      async (open) => {
        const storage = open();
        const writers = 20;
        const rounds = 25;
        await Promise.all(
          Array.from({ length: writers }, async (_, writer) => {
            for (let round = 0; round < rounds; round += 1) {
              await storage.write({ entries: [[`w${writer}`, bytes(round)]] });
            }
          }),
        );
        const total = writers * rounds;
        expectTrue(
          storage.commits <= total / 5,
          `${total} writes from ${writers} concurrent writers took ${storage.commits} transactions`,
        );
        const snapshot = await storage.load();
        for (let writer = 0; writer < writers; writer += 1) {
          expectTrue(
            sameBytes(snapshot.entries.get(`w${writer}`), bytes(rounds - 1)),
            `w${writer} does not hold its last round`,
          );
        }
      },
    ],
    [
      "a write resolves after its own group committed, in issue order, visible to a new connection",
      async (open) => {
        const storage = open();
        const resolved: number[] = [];
        const writes: Promise<void>[] = [];
        for (let i = 0; i < 60; i += 1) {
          const issuedAt = storage.commits;
          writes.push(
            storage.write({ entries: [[`k${i}`, bytes(i)]] }).then(() => {
              expectTrue(storage.commits > issuedAt, `write ${i} resolved before any commit`);
              resolved.push(i);
            }),
          );
          // Spread the writes over several groups.
          if (i % 20 === 19) await writes[i];
        }
        await Promise.all(writes);
        expectTrue(
          resolved.every((value, index) => value === index),
          `writes resolved out of order: ${resolved.join(",")}`,
        );
        await storage.write({ entries: [["last", bytes(7)]] });
        const other = open();
        const seen = await other.load();
        expectTrue(
          sameBytes(seen.entries.get("last"), bytes(7)),
          "a resolved write was not visible",
        );
        expectTrue(seen.entries.size === 61, `a new connection sees ${seen.entries.size} of 61`);
      },
    ],
    [
      "a later write to the same key wins, within a group and across groups",
      async (open) => {
        const storage = open();
        await Promise.all([
          storage.write({ entries: [["same", bytes(1)]] }),
          storage.write({
            entries: [
              ["same", bytes(2)],
              ["gone", bytes(5)],
            ],
          }),
          storage.write({
            entries: [
              ["same", null],
              ["back", null],
            ],
          }),
          storage.write({
            entries: [
              ["same", bytes(3)],
              ["gone", null],
              ["back", bytes(6)],
            ],
          }),
          storage.write({ meta: [["m", bytes(1)]] }),
          storage.write({ meta: [["m", bytes(2)]] }),
          storage.write({
            entries: [
              ["dup", bytes(1)],
              ["dup", bytes(2)],
            ],
          }),
        ]);
        const expected = { same: bytes(3), back: bytes(6), dup: bytes(2) };
        expectSnapshot(await storage.load(), { entries: expected, meta: { m: bytes(2) } });
        await storage.write({ entries: [["same", bytes(4)]] });
        await storage.write({ entries: [["same", bytes(5)]] });
        expectSnapshot(
          await reopened(open, storage),
          { entries: { ...expected, same: bytes(5) }, meta: { m: bytes(2) } },
          "after reopen: ",
        );
      },
    ],
    [
      "close commits every queued write before releasing the storage",
      async (open) => {
        const storage = open();
        const writes = Array.from({ length: 100 }, (_, i) =>
          storage.write({ entries: [[`q${i}`, bytes(i)]], meta: [["last", bytes(i)]] }),
        );
        await storage.close();
        await Promise.all(writes);
        const snapshot = await open().load();
        expectTrue(snapshot.entries.size === 100, `found ${snapshot.entries.size} of 100`);
        expectTrue(sameBytes(snapshot.meta.get("last"), bytes(99)), "meta 'last' is not 99");
      },
    ],
    [
      "use after close rejects with StorageClosedError; close is idempotent",
      async (open) => {
        const storage = open();
        await storage.write({ entries: [["a", bytes(1)]] });
        const closing = storage.close();
        await expectRejects(
          storage.write({ entries: [["b", bytes(2)]] }),
          StorageClosedError,
          "STORAGE_CLOSED",
        );
        await closing;
        await storage.close();
        await expectRejects(storage.load(), StorageClosedError, "STORAGE_CLOSED");
        await expectRejects(storage.write({}), StorageClosedError, "STORAGE_CLOSED");
        expectSnapshot(await open().load(), { entries: { a: bytes(1) } });
      },
    ],
    [
      "bytes are copied in and out, so callers cannot alias stored data",
      async (open) => {
        const storage = open();
        const input = bytes(1, 2, 3);
        // The same buffer twice in one key's deltas: two rows, neither an alias of the other.
        const written = storage.write({
          entries: [["k", input]],
          deltas: [
            ["d", input],
            ["d", input],
          ],
          meta: [["m", input]],
        });
        input[0] = 99; // before the commit has even run
        await written;
        const stored = {
          entries: { k: bytes(1, 2, 3) },
          deltas: { d: [bytes(1, 2, 3), bytes(1, 2, 3)] },
          meta: { m: bytes(1, 2, 3) },
        };
        const first = await storage.load();
        expectSnapshot(first, stored);
        first.entries.get("k")![1] = 99;
        first.deltas.get("d")![0]![1] = 99;
        first.deltas.get("d")!.pop();
        first.meta.get("m")![1] = 99;
        expectSnapshot(await storage.load(), stored);
      },
    ],
    [
      "an invalid batch rejects with InvalidArgumentError and writes none of its items",
      async (open) => {
        const storage = open();
        const good: [string, Uint8Array] = ["good", bytes(1)];
        const bad: unknown[] = [
          { entries: [good, [5, bytes(1)]] },
          { entries: [good, ["k", [1, 2]]] },
          { entries: [good, ["lone \uD800 surrogate", bytes(1)]] },
          { entries: [good, ["triple", bytes(1), bytes(2)]] },
          { entries: 7 },
          { entries: [good], meta: [["m", null]] },
          { meta: [["m", new Uint16Array(2)]] },
          {
            entries: [good],
            deltas: [
              ["d", bytes(1)],
              ["d", null],
            ],
          },
          { entries: [good], deltas: [["d", [1, 2]]] },
          { entries: [good], deltas: [[7, bytes(1)]] },
          { entries: [good], deltas: [["lone \uDC00 surrogate", bytes(1)]] },
          { deltas: [good], meta: [["m", "not bytes"]] },
          { deltas: bytes(1) },
          null,
        ];
        for (const batch of bad) {
          await expectRejects(
            storage.write(batch as Parameters<StorageAdapter["write"]>[0]),
            InvalidArgumentError,
            "INVALID_ARGUMENT",
          );
        }
        expectSnapshot(await storage.load(), {});
        expectTrue(storage.commits === 0, `invalid batches committed ${storage.commits} times`);
      },
    ],
    [
      "an empty batch commits nothing and resolves after every earlier write",
      async (open) => {
        const storage = open();
        let earlierDone = false;
        const earlier = storage.write({ entries: [["a", bytes(1)]] }).then(() => {
          earlierDone = true;
        });
        await storage.write({ entries: [] });
        expectTrue(earlierDone, "the empty batch resolved before an earlier write");
        await earlier;
        const commits = storage.commits;
        await storage.write({});
        expectTrue(storage.commits === commits, "an empty batch committed a transaction");
      },
    ],
  ];
  const specs: CaseSpec[] = [...cases.map(([name, body]) => ({ name, body })), ...deltaCases];
  return specs.map(({ name, requires, body }) => ({
    name,
    ...(requires === undefined ? {} : { requires }),
    run: scenario(makeHarness, body),
  }));
}
