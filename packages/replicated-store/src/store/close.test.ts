/** `close()` releases everything the replica holds, the transport included unless told not to. */
import { replicaId } from "@convergent/clocks";
import { SimulatedNetwork } from "@convergent/sync";
import { describe, expect, test } from "vitest";
import { memoryStorage } from "../storage/memory.js";
import { createReplica } from "./replica.js";

describe("closing a replica", () => {
  test("closes its transport, so a script can exit", async () => {
    const network = new SimulatedNetwork({ seed: 1 });
    const transport = network.transport(replicaId("a"));
    const r = await createReplica({ id: "a", transport, storage: memoryStorage() });
    await r.close();
    expect(transport.send(replicaId("b"), new Uint8Array([1]))).toBe("closed");
    await r.close(); // idempotent
  });

  test("leaves a shared transport open with closeTransport: false", async () => {
    const network = new SimulatedNetwork({ seed: 1 });
    const transport = network.transport(replicaId("a"));
    network.transport(replicaId("b"));
    const r = await createReplica({
      id: "a",
      transport,
      storage: memoryStorage(),
      closeTransport: false,
    });
    await r.close();
    expect(transport.send(replicaId("b"), new Uint8Array([1]))).not.toBe("closed");
    await transport.close();
  });
});
