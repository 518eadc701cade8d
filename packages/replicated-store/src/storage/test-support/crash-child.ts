/**
 * Child process for the crash test: writes numbered batches forever from several concurrent
 * writers and prints each number once its write resolved. Batch i puts `w<i>` and its twin,
 * moves the single `tmp` marker from `tmp<i-1>` to `tmp<i>`, and sets meta "next" = i + 1, so
 * a torn or reordered commit is visible to the parent after the kill.
 *
 * Batch i also touches the delta key `d<i mod DELTA_KEYS>` (see crash-deltas.ts): it appends
 * the delta row for i, and sometimes first folds every earlier number of that key into its
 * state row, or deletes the key. A fold whose state row or whose delta removal was lost would
 * show as a missing or repeated number.
 */
import { sqliteStorage } from "../sqlite.js";
import type { StorageBatch } from "../storage.js";
import { deltaKey, deltaKeysFrom } from "./crash-deltas.js";

const path = process.env["CRASH_DB_PATH"];
if (path === undefined) throw new Error("CRASH_DB_PATH is not set");

const u32 = (value: number) => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
};

const storage = sqliteStorage({ path });
const recovered = await storage.load();
const previous = recovered.meta.get("next");
let next = previous === undefined ? 0 : new DataView(previous.buffer).getUint32(0);
const deltaKeys = deltaKeysFrom(recovered);

function batch(i: number): StorageBatch {
  // Sizes vary so some groups span many pages and the kill can land mid-write.
  const value = new Uint8Array(4 + Math.floor(Math.random() * 3000)).fill(i % 251);
  value.set(u32(i));
  const touch = deltaKeys.touch(i, Math.random);
  return {
    entries: [
      [`w${i}`, value],
      [`w${i}.twin`, value],
      [`tmp${i - 1}`, null],
      [`tmp${i}`, u32(i)],
      ...touch.entries,
    ],
    deltas: [[deltaKey(i), touch.delta]],
    meta: [["next", u32(i + 1)], ...touch.meta],
  };
}

async function writer(): Promise<never> {
  for (;;) {
    const i = next++;
    await storage.write(batch(i));
    process.stdout.write(`${i}\n`);
  }
}

await Promise.all(Array.from({ length: 16 }, writer));
