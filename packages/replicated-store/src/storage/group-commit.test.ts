import { expect, test } from "vitest";
import { type Group, normalizeBatch } from "./batch.js";
import { StorageWriteError } from "./errors.js";
import { groupCommitter } from "./group-commit.js";

/** A commit whose completion the test controls, recording each group it was given. */
function controlledCommit() {
  const groups: Group[] = [];
  const finishers: Array<(error?: Error) => void> = [];
  const commit = (group: Group) => {
    groups.push(group);
    return new Promise<void>((resolve, reject) => {
      finishers.push((error) => (error ? reject(error) : resolve()));
    });
  };
  return { groups, finishers, commit };
}

const flushMicrotasks = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const one = (key: string, byte: number) =>
  normalizeBatch({ entries: [[key, new Uint8Array([byte])]] });

test("writes queued while a commit is in flight go into one next group, resolved only by it", async () => {
  const { groups, finishers, commit } = controlledCommit();
  const committer = groupCommitter(commit, queueMicrotask);
  const settled: string[] = [];
  const track = (name: string, promise: Promise<void>) =>
    promise.then(
      () => settled.push(`${name} ok`),
      () => settled.push(`${name} failed`),
    );

  const a = track("a", committer.enqueue(one("a", 1)));
  await flushMicrotasks();
  expect(groups).toHaveLength(1);

  const b = track("b", committer.enqueue(one("b", 2)));
  const c = track("c", committer.enqueue(one("b", 3)));
  await flushMicrotasks();
  expect(groups).toHaveLength(1); // b and c wait: one transaction at a time
  expect(settled).toEqual([]);

  finishers[0]!();
  await a;
  await flushMicrotasks();
  expect(settled).toEqual(["a ok"]);
  expect(committer.commits).toBe(1);
  expect(groups).toHaveLength(2);
  expect([...groups[1]!.entries]).toEqual([["b", new Uint8Array([3])]]); // later write wins

  finishers[1]!();
  await Promise.all([b, c]);
  expect(settled).toEqual(["a ok", "b ok", "c ok"]);
  expect(committer.commits).toBe(2);
});

test("a failed commit rejects only its own group, with StorageWriteError, and the next group runs", async () => {
  const { groups, finishers, commit } = controlledCommit();
  const committer = groupCommitter(commit, queueMicrotask);
  const first = committer.enqueue(one("x", 1));
  await flushMicrotasks();
  const second = committer.enqueue(one("y", 2));
  const disk = new Error("disk full");
  finishers[0]!(disk);
  await expect(first).rejects.toBeInstanceOf(StorageWriteError);
  await expect(first).rejects.toMatchObject({ code: "STORAGE_WRITE_FAILED", cause: disk });
  await flushMicrotasks();
  expect(groups).toHaveLength(2);
  finishers[1]!();
  await expect(second).resolves.toBeUndefined();
  expect(committer.commits).toBe(1);
});

test("settled() waits for every queued group and never rejects", async () => {
  const { finishers, commit } = controlledCommit();
  const committer = groupCommitter(commit, queueMicrotask);
  const failing = committer.enqueue(one("x", 1));
  failing.catch(() => {});
  let done = false;
  const settled = committer.settled().then(() => {
    done = true;
  });
  await flushMicrotasks();
  expect(done).toBe(false);
  finishers[0]!(new Error("io"));
  await settled;
  expect(done).toBe(true);
});
