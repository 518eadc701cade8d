/**
 * One network link between two replicas, as a loopback TCP proxy in the driver. Cutting it
 * destroys the live connection and refuses new ones, which is what a partition looks like to
 * the WebSocket on either side (the socket drops, reconnects fail); restoring it lets the
 * client's next reconnect through.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export class LinkProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #cut = false;
  port = 0;

  private constructor(targetPort: number) {
    this.#server = createServer((inbound) => {
      inbound.on("error", () => {});
      if (this.#cut) {
        inbound.destroy();
        return;
      }
      const outbound = connect(targetPort, "127.0.0.1");
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

  static async start(targetPort: number): Promise<LinkProxy> {
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
