import { expect, test } from "vitest";
import { MemoryDisk, memoryStorage } from "./memory.js";
import { storageConformance } from "./test-support/conformance.js";

for (const { name, requires, run } of storageConformance(() => {
  const disk = new MemoryDisk();
  return { open: () => memoryStorage({ disk }) };
})) {
  // A memory commit is a few Map operations that cannot fail, so no harness can make it fail.
  if (requires === "failDeltaAppends") test.skip(`memory: ${name} (a memory commit cannot fail)`);
  else test(`memory: ${name}`, run);
}

test("memory: storages without a shared disk do not see each other", async () => {
  const first = memoryStorage();
  await first.write({ entries: [["k", new Uint8Array([1])]] });
  expect((await memoryStorage().load()).entries.size).toBe(0);
  expect((await first.load()).entries.get("k")).toEqual(new Uint8Array([1]));
});

test("memory: the disk holds only committed groups, never a queued one", async () => {
  const disk = new MemoryDisk();
  const storage = memoryStorage({ disk });
  const written = storage.write({ entries: [["k", new Uint8Array([1])]] });
  expect(disk.entries.size).toBe(0);
  await written;
  expect(disk.entries.get("k")).toEqual(new Uint8Array([1]));
});

test("memory: the disk holds delta rows per key, oldest first, and a fold removes them", async () => {
  const disk = new MemoryDisk();
  const storage = memoryStorage({ disk });
  await storage.write({
    deltas: [
      ["k", new Uint8Array([1])],
      ["k", new Uint8Array([2])],
    ],
  });
  expect(disk.deltas.get("k")).toEqual([new Uint8Array([1]), new Uint8Array([2])]);
  await storage.write({ entries: [["k", new Uint8Array([3])]] });
  expect(disk.deltas.has("k")).toBe(false);
});
