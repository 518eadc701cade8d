/**
 * One network link between two replicas, as a loopback TCP proxy in the driver (the idea of the
 * demo's link proxy, kept separate so the soak does not depend on the demo). Cutting destroys
 * live connections and refuses new ones, which the WebSocket on either side sees as a dropped
 * link with failing reconnects. The target port is looked up per connection because the target
 * process may not be listening yet when the proxy starts.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export class LinkProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #cut = false;
  port = 0;

  private constructor(targetPort: () => number | undefined) {
    this.#server = createServer((inbound) => {
      inbound.on("error", () => {});
      const port = targetPort();
      if (this.#cut || port === undefined) {
        inbound.destroy();
        return;
      }
      const outbound = connect(port, "127.0.0.1");
      for (const socket of [inbound, outbound]) {
        this.#sockets.add(socket);
        socket.on("close", () => this.#sockets.delete(socket));
        socket.on("error", () => {});
      }
      inbound.pipe(outbound);
      outbound.pipe(inbound);
      inbound.on("close", () => outbound.destroy());
      outbound.on("close", () => inbound.destroy());
    });
  }

  static async start(targetPort: () => number | undefined): Promise<LinkProxy> {
    const proxy = new LinkProxy(targetPort);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once("error", reject);
      proxy.#server.listen(0, "127.0.0.1", () => resolve());
    });
    const address = proxy.#server.address();
    if (address === null || typeof address === "string") throw new Error("proxy has no port");
    proxy.port = address.port;
    return proxy;
  }

  get isCut(): boolean {
    return this.#cut;
  }

  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.destroy();
  }

  restore(): void {
    this.#cut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
