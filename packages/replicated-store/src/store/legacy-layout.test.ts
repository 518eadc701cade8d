/**
 * Storage written by the release before (name, type) keys still opens: a SQLite file written by
 * that release (fixtures/release-0.sqlite, made with its published API: counters, sets, registers,
 * maps, deletes of each, and a key deleted then written again) is migrated once at the first open
 * and reads as that release showed it.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { replicaId } from "@convergent/clocks";
import { SimulatedNetwork } from "@convergent/sync";
import { afterEach, describe, expect, test } from "vitest";
import { sqliteStorage } from "../storage/sqlite.js";
import { createReplica, type Replica } from "./replica.js";

const FIXTURE = new URL("./fixtures/release-0.sqlite", import.meta.url);
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fixtureCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "convergent-legacy-"));
  dirs.push(dir);
  const path = join(dir, "store.sqlite");
  copyFileSync(FIXTURE, path);
  return path;
}

async function open(path: string): Promise<Replica> {
  const network = new SimulatedNetwork({ seed: 1 });
  return createReplica({
    id: "old",
    transport: network.transport(replicaId("old")),
    storage: sqliteStorage({ path }),
    scheduler: network.scheduler,
    now: () => 1_700_000_100_000,
  });
}

async function expectReleaseView(r: Replica): Promise<void> {
  expect(await r.counter("pn").value()).toMatchObject({ exists: true, value: 7 });
  expect(await r.gCounter("g").value()).toMatchObject({ exists: true, value: 4 });
  expect([...(await r.set("s").values()).value]).toEqual(["apple"]);
  expect(await r.register("r").get()).toMatchObject({ exists: true, value: { title: "hello" } });
  expect(await r.mvRegister("mv").values()).toMatchObject({ exists: true, value: ["one"] });
  expect([...(await r.map("m").entries()).value]).toEqual([["a", 1]]);
  for (const read of [
    r.counter("pn-gone").value(),
    r.gCounter("g-gone").value(),
    r.register("r-gone").get(),
    r.set("s-gone").values(),
    r.map("m-gone").entries(),
  ]) {
    expect((await read).exists).toBe(false);
  }
  // Deleted and written again under the old release: what that release showed.
  expect(await r.gCounter("g-again").value()).toMatchObject({ exists: true, value: 11 });
  expect(r.list().map((k) => k.key)).toEqual(["g", "g-again", "m", "mv", "pn", "r", "s"]);
}

describe("layout-1 storage (the release before (name, type) keys)", () => {
  test("opens, reads as that release showed it, and stays so after a reopen", async () => {
    const path = fixtureCopy();
    const first = await open(path);
    await expectReleaseView(first);
    await first.close();
    const second = await open(path);
    await expectReleaseView(second);
    await second.close();
  });

  test("a key deleted under the old release starts from empty when written again", async () => {
    const r = await open(fixtureCopy());
    await r.gCounter("g-gone").increment(1);
    expect(await r.gCounter("g-gone").value()).toMatchObject({ exists: true, value: 1 });
    await r.register("r-gone").set("new");
    expect((await r.register("r-gone").get()).value).toBe("new");
    await r.close();
  });
});
