import type { TransportStats } from "./transport.js";

/** The mutable counters behind `Transport.stats()`. */
export class StatsCounter {
  framesSent = 0;
  bytesSent = 0;
  framesReceived = 0;
  bytesReceived = 0;
  framesDropped = 0;
  bytesDropped = 0;

  sent(bytes: number): void {
    this.framesSent++;
    this.bytesSent += bytes;
  }

  received(bytes: number): void {
    this.framesReceived++;
    this.bytesReceived += bytes;
  }

  dropped(bytes: number, frames = 1): void {
    this.framesDropped += frames;
    this.bytesDropped += bytes;
  }

  snapshot(): TransportStats {
    return {
      framesSent: this.framesSent,
      bytesSent: this.bytesSent,
      framesReceived: this.framesReceived,
      bytesReceived: this.bytesReceived,
      framesDropped: this.framesDropped,
      bytesDropped: this.bytesDropped,
    };
  }
}
