import { expect, test } from "vitest";
import { MemoryDisk, memoryStorage } from "./memory.js";
import { storageConformance } from "./test-support/conformance.js";

for (const { name, run } of storageConformance(() => {
  const disk = new MemoryDisk();
  return { open: () => memoryStorage({ disk }) };
})) {
  test(`memory: ${name}`, run);
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
