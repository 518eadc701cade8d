/**
 * This tab's own replica: durable in IndexedDB (one database per replica id, so a reload comes
 * back with its state and never reuses a dot), connected over WebSocket to a `convergent serve`
 * node and over a BroadcastChannel to the other tabs of this origin.
 */
import { replicaId } from "@convergent/clocks";
import {
  createMetrics,
  createReplica,
  indexedDbStorage,
  MultiTransport,
} from "@convergent/replicated-store";
import { WebSocketClientTransport } from "@convergent/sync";
import type { PageConfig } from "./config.js";
import { ReplicaModel } from "./replica-model.js";
import { BroadcastChannelTransport } from "./transports/broadcast-channel.js";

export interface TabReplica {
  readonly model: ReplicaModel;
  readonly routes: MultiTransport;
  readonly server: WebSocketClientTransport;
  readonly serverUrl: string;
  close(): Promise<void>;
}

export async function openTabReplica(
  config: PageConfig,
  onChange: (origin: "local" | "remote") => void,
): Promise<TabReplica> {
  const id = replicaId(config.replica);
  const server = new WebSocketClientTransport({
    localId: id,
    url: config.server,
    reconnect: { maxDelayMs: 2_000 },
  });
  const routes = new MultiTransport(id, [
    server,
    new BroadcastChannelTransport({ localId: id, channel: "convergent-web" }),
  ]);
  const metrics = createMetrics({ maxLagMs: 10_000 });
  const replica = await createReplica({
    id,
    transport: routes,
    storage: indexedDbStorage({ name: `convergent-web:${id}` }),
    metrics,
  });
  const model = await ReplicaModel.open(replica, metrics, onChange);
  // A tab that goes away says so (a BroadcastChannel "bye", a WebSocket close), so the other
  // tabs and the server drop it at once; a page restored from the back-forward cache reopens.
  addEventListener("pagehide", () => {
    void routes.close();
    void replica.close();
  });
  addEventListener("pageshow", (event) => {
    if (event.persisted) location.reload();
  });
  return {
    model,
    routes,
    server,
    serverUrl: config.server,
    close: async () => {
      await replica.close();
      await routes.close();
    },
  };
}
