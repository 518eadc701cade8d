import { connect, createServer, type Server, type Socket } from "node:net";

/** A loopback TCP proxy whose connections a test can cut, to break a WebSocket mid-stream. */
export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  port = 0;

  private constructor(targetPort: number) {
    this.#server = createServer((inbound) => {
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

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    const address = proxy.#server.address();
    if (address === null || typeof address === "string") throw new Error("proxy has no port");
    proxy.port = address.port;
    return proxy;
  }

  /** Destroys every proxied TCP connection at once, as a network failure would. */
  dropAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  get connections(): number {
    return this.#sockets.size / 2;
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
