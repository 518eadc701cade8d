/**
 * Conformance cases for delta rows (issue 13): appended per key in order, removed by a write or
 * delete of the key's state row (a fold) but not when appended later in the same batch or
 * group, and never visible from a failed commit.
 */
import { StorageWriteError } from "../errors.js";
import type { StorageBatch } from "../storage.js";
import {
  bytes,
  type CaseSpec,
  expectSnapshot,
  expectTrue,
  fail,
  reopened,
  sameBytes,
} from "./conformance-kit.js";

/** A state row, told apart from delta rows by its first byte. */
const state = (value: number) => bytes(0xff, value);

export const deltaCases: CaseSpec[] = [
  {
    name: "deltas append in order per key, with or without a state row, across batches and groups",
    async body(open) {
      const storage = open();
      await storage.write({
        entries: [["a", state(0)]],
        deltas: [
          ["a", bytes(1)],
          ["b", bytes(1)],
          ["a", bytes(2)],
        ],
      });
      await Promise.all([
        storage.write({ deltas: [["a", bytes(3)]] }),
        storage.write({
          deltas: [
            ["b", bytes(2)],
            ["a", bytes(4)],
          ],
        }),
        storage.write({ deltas: [["b", bytes(3)]] }),
      ]);
      const expected = {
        entries: { a: state(0) },
        deltas: { a: [1, 2, 3, 4].map((i) => bytes(i)), b: [1, 2, 3].map((i) => bytes(i)) },
      };
      expectSnapshot(await storage.load(), expected);
      await storage.close();
      const again = open();
      expectSnapshot(await again.load(), expected, "after reopen: ");
      // Appends after a reopen still sort after the rows already stored.
      await again.write({ deltas: [["a", bytes(5)]] });
      expectSnapshot(
        await reopened(open, again),
        { ...expected, deltas: { ...expected.deltas, a: [1, 2, 3, 4, 5].map((i) => bytes(i)) } },
        "after a second reopen: ",
      );
    },
  },
  {
    name: "concurrent appends to one key share one transaction and keep issue order",
    async body(open) {
      const storage = open();
      const count = 300;
      const before = storage.commits;
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          storage.write({
            deltas: [
              ["hot", bytes(i & 255, i >> 8)],
              [`cold-${i % 3}`, bytes(i & 255, i >> 8)],
            ],
          }),
        ),
      );
      const used = storage.commits - before;
      expectTrue(used === 1, `${count} appends issued together took ${used} transactions`);
      const rows = (await reopened(open, storage)).deltas.get("hot") ?? [];
      expectTrue(rows.length === count, `"hot" has ${rows.length} of ${count} delta rows`);
      rows.forEach((row, i) => {
        if (!sameBytes(row, bytes(i & 255, i >> 8))) fail(`delta ${i} of "hot" is out of order`);
      });
    },
  },
  {
    name: "a state write removes the key's older deltas; deltas later in its batch or group stay",
    async body(open) {
      const storage = open();
      await storage.write({
        deltas: [
          ["a", bytes(1)],
          ["a", bytes(2)],
          ["b", bytes(1)],
        ],
      });
      // `deltas` is listed first, yet `entries` apply first: the fold keeps delta 3.
      await storage.write({ deltas: [["a", bytes(3)]], entries: [["a", state(1)]] });
      expectSnapshot(await storage.load(), {
        entries: { a: state(1) },
        deltas: { a: [bytes(3)], b: [bytes(1)] },
      });
      // One group: the fold in its middle removes what came before it, in this group too.
      await Promise.all([
        storage.write({ deltas: [["a", bytes(4)]] }),
        storage.write({ entries: [["a", state(2)]], deltas: [["a", bytes(5)]] }),
        storage.write({ deltas: [["a", bytes(6)]] }),
        storage.write({ deltas: [["c", bytes(1)]] }),
        storage.write({ entries: [["c", state(3)]] }),
      ]);
      const expected = {
        entries: { a: state(2), c: state(3) },
        deltas: { a: [bytes(5), bytes(6)], b: [bytes(1)] },
      };
      expectSnapshot(await storage.load(), expected);
      expectSnapshot(await reopened(open, storage), expected, "after reopen: ");
    },
  },
  {
    name: "deleting a key removes its deltas; a delta in the same batch starts it again",
    async body(open) {
      const storage = open();
      await storage.write({
        entries: [["a", state(1)]],
        deltas: [
          ["a", bytes(1)],
          ["a", bytes(2)],
          ["b", bytes(1)],
          ["c", bytes(1)],
        ],
      });
      // "b" has delta rows and no state row: deleting it removes them all the same.
      await storage.write({
        entries: [
          ["a", null],
          ["b", null],
        ],
      });
      expectSnapshot(await storage.load(), { deltas: { c: [bytes(1)] } });
      await storage.write({ entries: [["c", null]], deltas: [["c", bytes(2)]] });
      expectSnapshot(
        await reopened(open, storage),
        { deltas: { c: [bytes(2)] } },
        "after reopen: ",
      );
    },
  },
  {
    name: "a failed commit leaves none of its state writes, delta removals or deltas visible",
    requires: "failDeltaAppends",
    async body(open, harness) {
      const storage = open();
      await storage.write({
        entries: [["a", state(1)]],
        deltas: [
          ["a", bytes(1)],
          ["a", bytes(2)],
          ["b", bytes(1)],
        ],
        meta: [["m", bytes(1)]],
      });
      const committed = {
        entries: { a: state(1) },
        deltas: { a: [bytes(1), bytes(2)], b: [bytes(1)] },
        meta: { m: bytes(1) },
      };
      if (harness.failDeltaAppends === undefined) fail("the harness cannot fail a commit");
      const commits = storage.commits;
      const restore = await harness.failDeltaAppends();
      let outcomes: PromiseSettledResult<void>[];
      try {
        // One group: a fold of "a", a new key, a delete of "b", then the appends that fail.
        const group: StorageBatch[] = [
          {
            entries: [
              ["a", state(2)],
              ["new", state(3)],
            ],
          },
          { entries: [["b", null]] },
          {
            deltas: [
              ["a", bytes(3)],
              ["c", bytes(1)],
            ],
            meta: [["m", bytes(2)]],
          },
        ];
        outcomes = await Promise.allSettled(group.map((batch) => storage.write(batch)));
      } finally {
        await restore();
      }
      for (const outcome of outcomes) {
        const reason: unknown = outcome.status === "rejected" ? outcome.reason : undefined;
        expectTrue(
          reason instanceof StorageWriteError && reason.code === "STORAGE_WRITE_FAILED",
          `a write of the failed group settled with ${String(reason ?? outcome.status)}`,
        );
      }
      expectTrue(storage.commits === commits, "the failed group was counted as a commit");
      expectSnapshot(await storage.load(), committed, "after the failed commit: ");
      await storage.write({ deltas: [["a", bytes(3)]] });
      expectSnapshot(
        await reopened(open, storage),
        { ...committed, deltas: { ...committed.deltas, a: [bytes(1), bytes(2), bytes(3)] } },
        "after a later write and a reopen: ",
      );
    },
  },
];
