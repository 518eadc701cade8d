/**
 * Child process for the replica crash test: a replica on SQLite storage (the file named by
 * CRASH_DB_PATH) writing forever from several concurrent writers. After each write's promise
 * resolved at level `one` it prints `key value dotCounter`, so the parent knows exactly which
 * writes were acknowledged and the highest keyspace dot handed out.
 */
import { replicaId } from "@convergent/clocks";
import { SimulatedNetwork } from "@convergent/sync";
import { sqliteStorage } from "../../storage/sqlite.js";
import { createReplica } from "../replica.js";

const path = process.env["CRASH_DB_PATH"];
if (path === undefined) throw new Error("CRASH_DB_PATH is not set");

const network = new SimulatedNetwork({ seed: 1 });
const replica = await createReplica({
  id: "crashy",
  transport: network.transport(replicaId("crashy")),
  storage: sqliteStorage({ path }),
  scheduler: network.scheduler,
  sync: { gossip: false },
  // Every key as delta rows, so the crash lands among appends and folds as well.
  wholeStateBytes: 0,
});

let next = 0;
async function writer(): Promise<never> {
  for (;;) {
    const i = next++;
    const key = `w${i % 500}`;
    const result =
      i % 3 === 0
        ? await replica.counter("total").increment(1)
        : await replica.register(key).set(i);
    const written = i % 3 === 0 ? "total" : key;
    process.stdout.write(`${written} ${i} ${result.dot.counter}\n`);
  }
}

await Promise.all(Array.from({ length: 8 }, writer));
