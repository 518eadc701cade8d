/**
 * IndexedDB storage in real Chromium (Debian's /usr/bin/chromium driven by playwright-core):
 * the shared conformance suite runs in the page, then writes must survive a page reload.
 * A missing Chromium fails these tests; it never skips them.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { INDEXEDDB_SCHEMA_VERSION } from "./indexeddb.js";
import { memoryStorage } from "./memory.js";
import { bundle } from "./test-support/bundle.js";
import { storageConformance } from "./test-support/conformance.js";
import type { CaseResult, StorageTests } from "./test-support/indexeddb-page.js";

const CHROMIUM = "/usr/bin/chromium";
const here = dirname(fileURLToPath(import.meta.url));

let server: Server | undefined;
let browser: Browser;
let page: Page;
let conformance: Promise<CaseResult[]>;

function serve(script: string): Promise<Server> {
  const html =
    '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>';
  const http = createServer((request, response) => {
    const isScript = request.url === "/page.js";
    response.writeHead(200, {
      "content-type": isScript ? "text/javascript" : "text/html",
      "cache-control": "no-store",
    });
    response.end(isScript ? script : html);
  });
  return new Promise((resolve) => http.listen(0, "127.0.0.1", () => resolve(http)));
}

async function openPage(): Promise<void> {
  const { port } = server!.address() as AddressInfo;
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => "storageTests" in globalThis);
}

const tests = (p: Page) => ({
  call<K extends keyof StorageTests>(
    name: K,
    ...args: Parameters<StorageTests[K]>
  ): Promise<Awaited<ReturnType<StorageTests[K]>>> {
    return p.evaluate(
      ([method, params]) => {
        type Method = (...values: readonly unknown[]) => Promise<unknown>;
        const api = (globalThis as unknown as { storageTests: Record<string, Method> })
          .storageTests;
        return api[method]!(...params);
      },
      [name, args] as const,
    ) as Promise<Awaited<ReturnType<StorageTests[K]>>>;
  },
});

beforeAll(async () => {
  const script = await bundle(join(here, "test-support", "indexeddb-page.ts"), "browser");
  server = await serve(script);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  page = await browser.newPage();
  await openPage();
  conformance = tests(page).call("conformance");
}, 30_000);

afterAll(async () => {
  await browser?.close();
  const http = server;
  if (http !== undefined) await new Promise((resolve) => http.close(resolve));
});

// The case names come from the suite itself; the cases run in the page, whose harness has
// every capability a case can require (so none is skipped there).
for (const { name } of storageConformance(() => ({ open: () => memoryStorage() }))) {
  test(`indexeddb (chromium): ${name}`, async () => {
    const result = (await conformance).find((candidate) => candidate.name === name);
    expect(result, `case "${name}" did not run in the page`).toBeDefined();
    expect(result?.error).toBeUndefined();
  }, 30_000);
}

test("indexeddb (chromium): awaited writes survive a page reload without close", async () => {
  await conformance;
  const commits = await tests(page).call("writeThenAbandon", "reload");
  expect(commits).toBeGreaterThanOrEqual(2);
  await openPage();
  expect(await tests(page).call("load", "reload")).toEqual({
    entries: { a: [1], c: [3], d: [4] },
    deltas: { a: [[10], [11]], d: [[41]] },
    meta: { hlc: [8] },
    allUint8Array: true,
  });
}, 30_000);

test("indexeddb (chromium): close commits unawaited writes, visible after a reload", async () => {
  await conformance;
  await tests(page).call("writeUnawaitedThenClose", "close-flush");
  await openPage();
  const snapshot = await tests(page).call("load", "close-flush");
  expect(Object.keys(snapshot.entries)).toHaveLength(50);
  expect(snapshot.entries["q49"]).toEqual([49]);
  expect(snapshot.meta).toEqual({ hlc: [9] });
}, 30_000);

test("indexeddb (chromium): a database from a newer schema is refused, left at its version", async () => {
  await conformance;
  expect(await tests(page).call("newerSchema", "newer")).toEqual({
    code: "STORAGE_SCHEMA",
    found: 5,
    version: 5,
  });
}, 30_000);

test("indexeddb (chromium): commits ask for strict durability; an aborted commit rejects its group", async () => {
  await conformance;
  expect(await tests(page).call("failedCommit", "failed-commit")).toEqual({
    deltas: { before: [[9]] },
    durabilities: ["strict", "strict"],
    outcomes: ["STORAGE_WRITE_FAILED", "STORAGE_WRITE_FAILED"],
    keys: ["after", "before"],
    metaNames: [],
  });
}, 30_000);

test("indexeddb (chromium): deleteIndexedDbStorage removes a tab's database, closing an open one", async () => {
  await conformance;
  expect(await tests(page).call("deleteStorage", "gone")).toEqual({
    listedAfter: false,
    writeAfter: "STORAGE_CLOSED",
    reopenedHolds: 0,
  });
}, 30_000);

test("indexeddb (chromium): a version-1 database (before delta rows) upgrades at open, keeping its data", async () => {
  await conformance;
  expect(INDEXEDDB_SCHEMA_VERSION).toBe(2);
  const before = { entries: { a: [1, 2], b: [3] }, meta: { hlc: [7] }, allUint8Array: true };
  expect(await tests(page).call("upgradeFromVersion1", "from-v1")).toEqual({
    upgraded: { ...before, deltas: {} },
    after: {
      ...before,
      entries: { a: [1, 2], b: [4] },
      deltas: { a: [[5]], b: [[8]], new: [[6]] },
    },
    version: 2,
  });
}, 30_000);
