/**
 * Three replicas inside the page on a SimulatedNetwork whose virtual clock follows the wall clock
 * (advanced on every timer tick by the real time that passed), with 20-120 ms links, so a
 * partition, its concurrent edits and the convergence after a heal play out at human speed.
 */
import { equalCausalContexts, replicaId } from "@convergent/clocks";
import { createMetrics, createReplica, memoryStorage } from "@convergent/replicated-store";
import { latency, SimulatedNetwork } from "@convergent/sync";
import type { History } from "./history.js";
import { ReplicaModel } from "./replica-model.js";

export const SIM_IDS = ["sim-a", "sim-b", "sim-c"] as const;

export class SimCluster {
  readonly network: SimulatedNetwork;
  readonly models: readonly ReplicaModel[];
  readonly #timer: ReturnType<typeof setInterval>;
  #partitioned = false;

  private constructor(network: SimulatedNetwork, models: readonly ReplicaModel[]) {
    this.network = network;
    this.models = models;
    let last = performance.now();
    this.#timer = setInterval(() => {
      const now = performance.now();
      network.advance(now - last);
      last = now;
    }, 10);
  }

  static async start(history: History): Promise<SimCluster> {
    const network = new SimulatedNetwork({
      seed: Date.now() % 1_000_000,
      link: { latency: latency.uniform(20, 120), ordered: true },
    });
    const models = await Promise.all(
      SIM_IDS.map(async (id) => {
        const metrics = createMetrics({ maxLagMs: 5_000 });
        const replica = await createReplica({
          id,
          transport: network.transport(replicaId(id)),
          storage: memoryStorage(),
          peers: SIM_IDS.filter((other) => other !== id),
          scheduler: network.scheduler,
          metrics,
        });
        return ReplicaModel.open(replica, metrics, (origin) => history.event(id, origin));
      }),
    );
    return new SimCluster(network, models);
  }

  get partitioned(): boolean {
    return this.#partitioned;
  }

  /** Cuts sim-a off from sim-b and sim-c. */
  partition(): void {
    const [a, b, c] = SIM_IDS.map((id) => replicaId(id));
    if (a === undefined || b === undefined || c === undefined) return;
    this.network.partition([[a], [b, c]]);
    this.#partitioned = true;
  }

  heal(): void {
    this.network.heal();
    this.#partitioned = false;
  }

  /** Every replica edits every demo key at the same instant. */
  async concurrentEdits(): Promise<void> {
    await Promise.all(this.models.map((model) => model.editAll()));
  }

  /** True when every replica has seen exactly the same updates (so holds the same state). */
  converged(): boolean {
    const [first, ...rest] = this.models;
    if (first === undefined) return true;
    return rest.every((m) =>
      equalCausalContexts(m.replica.keyspace.context, first.replica.keyspace.context),
    );
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all(this.models.map((m) => m.replica.close()));
  }
}
