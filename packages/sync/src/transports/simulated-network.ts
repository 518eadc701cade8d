/**
 * A deterministic in-memory network for tests and demos. It owns simulated time (a
 * `VirtualScheduler` shared with the protocol's timers) and one seeded generator, so a run is a
 * pure function of the seed and the calls made: the same seed gives the same delivery trace.
 * Links lose, duplicate, delay and reorder frames as configured; partitions cut replica groups
 * apart. A connection between two replicas behaves like a TCP connection that can break: when a
 * partition or a close cuts it, frames in flight on it are dropped, both ends get
 * `onPeerDisconnected`, and a later heal opens a new connection (`onPeerConnected` again).
 */
import type { ReplicaId } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import { Emitter } from "./emitter.js";
import {
  DEFAULT_LINK_CONDITIONS,
  type LinkConditions,
  mergeLinkConditions,
  sampleLatency,
} from "./link-conditions.js";
import type { NetworkCounters, TraceEvent, TraceKind } from "./network-counters.js";
import { Prng } from "./prng.js";
import { type ConnectionChange, ConnectionTable, checkReplica } from "./simulated-connections.js";
import { SimulatedEndpoint } from "./simulated-transport.js";
import {
  DEFAULT_MAX_FRAME_BYTES,
  type SendResult,
  type Transport,
  type Unsubscribe,
} from "./transport.js";
import { VirtualScheduler } from "./virtual-scheduler.js";

export interface SimulatedNetworkOptions {
  /** Seed of every random choice the network makes (an integer). */
  readonly seed: number;
  /** Conditions of every link not configured with `setLink`; defaults to `DEFAULT_LINK_CONDITIONS`. */
  readonly link?: Partial<LinkConditions>;
  /** Larger frames are refused with `"too-large"`; defaults to `DEFAULT_MAX_FRAME_BYTES`. */
  readonly maxFrameBytes?: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

// Replica ids contain no control characters, so U+0000 cannot occur inside one.
const key = (from: ReplicaId, to: ReplicaId): string => `${from}\u0000${to}`;

export class SimulatedNetwork {
  /** Simulated time; pass it to the protocol so its timers run in simulated time too. */
  readonly scheduler = new VirtualScheduler();
  readonly #random: Prng;
  readonly #forks: Prng;
  readonly #maxFrameBytes: number;
  #defaults: LinkConditions;
  readonly #links = new Map<string, Partial<LinkConditions>>();
  readonly #endpoints = new Map<ReplicaId, SimulatedEndpoint>();
  readonly #connections = new ConnectionTable();
  /** Latest delivery time scheduled per directed link, to keep `ordered` links in order. */
  readonly #lastDelivery = new Map<string, number>();
  readonly #counters: Mutable<NetworkCounters> = {
    framesSent: 0,
    bytesSent: 0,
    framesDuplicated: 0,
    bytesDuplicated: 0,
    framesDelivered: 0,
    bytesDelivered: 0,
    framesLost: 0,
    bytesLost: 0,
    framesDropped: 0,
    bytesDropped: 0,
    framesRefused: 0,
    framesInFlight: 0,
  };
  readonly #trace = new Emitter<{ event: [TraceEvent] }>();

  constructor(options: SimulatedNetworkOptions) {
    this.#random = new Prng(options.seed);
    // A separate stream, so handing out generators does not shift the network's own draws.
    this.#forks = new Prng(options.seed ^ 0x5bd1e995);
    this.#defaults = mergeLinkConditions(DEFAULT_LINK_CONDITIONS, options.link ?? {});
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new InvalidArgumentError(`maxFrameBytes must be a positive integer, got ${max}`);
    }
    this.#maxFrameBytes = max;
  }

  /**
   * Opens the endpoint of `replica`. Connections to every reachable open endpoint are announced
   * at the current simulated time, so handlers registered right after this call see them.
   * Throws InvalidArgumentError if `replica` already has an open endpoint.
   */
  transport(replica: ReplicaId): Transport {
    checkReplica(replica);
    if (this.#endpoints.has(replica)) {
      throw new InvalidArgumentError(
        `replica ${JSON.stringify(replica)} already has an open transport; close it first`,
      );
    }
    const endpoint = new SimulatedEndpoint(replica, {
      send: (from, to, frame) => this.#send(from, to, frame),
      close: (closed) => {
        this.#endpoints.delete(closed.localId);
        this.#announce(this.#connections.close(closed.localId));
      },
    });
    this.#endpoints.set(replica, endpoint);
    this.#announce(this.#connections.open(replica));
    return endpoint;
  }

  /** Changes the default conditions, which apply to every link without its own settings. */
  setDefaultLink(changes: Partial<LinkConditions>): void {
    mergeLinkConditions(DEFAULT_LINK_CONDITIONS, changes);
    this.#defaults = { ...this.#defaults, ...changes };
  }

  /** Overrides conditions from `from` to `to` (and back, unless `bothWays` is false). */
  setLink(from: ReplicaId, to: ReplicaId, changes: Partial<LinkConditions>, bothWays = true): void {
    checkReplica(from);
    checkReplica(to);
    mergeLinkConditions(DEFAULT_LINK_CONDITIONS, changes);
    const directions = bothWays ? [key(from, to), key(to, from)] : [key(from, to)];
    for (const direction of directions) {
      this.#links.set(direction, { ...this.#links.get(direction), ...changes });
    }
  }

  /** The conditions a frame from `from` to `to` meets now. */
  linkConditions(from: ReplicaId, to: ReplicaId): LinkConditions {
    const own = this.#links.get(key(from, to));
    return own === undefined ? this.#defaults : { ...this.#defaults, ...own };
  }

  /**
   * Splits replicas into groups that cannot reach each other, replacing any earlier partition.
   * Replicas not listed (including ones that join later) form one more group together.
   */
  partition(groups: readonly (readonly ReplicaId[])[]): void {
    this.#announce(this.#connections.partition(groups));
  }

  /** Ends any partition; cut pairs reconnect at the current simulated time. */
  heal(): void {
    this.#announce(this.#connections.heal());
  }

  /** Whether frames between `a` and `b` could be delivered now (both open, same group). */
  reachable(a: ReplicaId, b: ReplicaId): boolean {
    return this.#connections.reachable(a, b);
  }

  now(): number {
    return this.scheduler.now();
  }

  /** Runs everything due in the next `ms` of simulated time. */
  advance(ms: number): number {
    return this.scheduler.advance(ms);
  }

  /** Runs until nothing is scheduled; see `VirtualScheduler.runUntilIdle`. */
  runUntilIdle(maxEvents?: number): number {
    return this.scheduler.runUntilIdle(maxEvents);
  }

  /** Runs until `condition()` holds or `timeoutMs` of simulated time has passed. */
  runUntil(condition: () => boolean, timeoutMs: number): boolean {
    return this.scheduler.runUntil(condition, timeoutMs);
  }

  /** A generator seeded from the network's seed, for the protocol's own random choices. */
  randomStream(): Prng {
    return this.#forks.fork();
  }

  counters(): NetworkCounters {
    return { ...this.#counters };
  }

  onTrace(handler: (event: TraceEvent) => void): Unsubscribe {
    return this.#trace.on("event", handler);
  }

  #send(from: SimulatedEndpoint, to: ReplicaId, frame: Uint8Array): SendResult {
    const bytes = frame.byteLength;
    if (from.closed) return this.#refuse(from, to, bytes, "closed");
    if (bytes > this.#maxFrameBytes) return this.#refuse(from, to, bytes, "too-large");
    const epoch = from.connections.get(to);
    if (epoch === undefined) return this.#refuse(from, to, bytes, "unreachable");
    from.counters.sent(bytes);
    this.#counters.framesSent++;
    this.#counters.bytesSent += bytes;
    this.#emitTrace("send", from.localId, to, bytes);

    const link = this.linkConditions(from.localId, to);
    if (this.#random.chance(link.lossProbability)) {
      this.#counters.framesLost++;
      this.#counters.bytesLost += bytes;
      this.#emitTrace("lose", from.localId, to, bytes);
      return "queued";
    }
    // Copied so that neither a sender breaking the ownership rule nor a receiver mutating its
    // frame can change another delivery.
    this.#schedule(from.localId, to, frame.slice(), epoch, link);
    if (this.#random.chance(link.duplicateProbability)) {
      this.#counters.framesDuplicated++;
      this.#counters.bytesDuplicated += bytes;
      this.#emitTrace("duplicate", from.localId, to, bytes);
      this.#schedule(from.localId, to, frame.slice(), epoch, link);
    }
    return "queued";
  }

  #refuse(from: SimulatedEndpoint, to: ReplicaId, bytes: number, result: SendResult): SendResult {
    from.counters.dropped(bytes);
    this.#counters.framesRefused++;
    this.#emitTrace("refuse", from.localId, to, bytes);
    return result;
  }

  #schedule(
    from: ReplicaId,
    to: ReplicaId,
    frame: Uint8Array,
    epoch: number,
    link: LinkConditions,
  ): void {
    let delay = sampleLatency(link.latency, this.#random);
    if (link.ordered) {
      const direction = key(from, to);
      const at = Math.max(this.now() + delay, this.#lastDelivery.get(direction) ?? 0);
      this.#lastDelivery.set(direction, at);
      delay = at - this.now();
    }
    this.#counters.framesInFlight++;
    this.scheduler.setTimeout(() => this.#deliver(from, to, frame, epoch), delay);
  }

  #deliver(from: ReplicaId, to: ReplicaId, frame: Uint8Array, epoch: number): void {
    this.#counters.framesInFlight--;
    const bytes = frame.byteLength;
    const receiver = this.#endpoints.get(to);
    if (receiver === undefined || !this.#connections.isCurrent(from, to, epoch)) {
      this.#counters.framesDropped++;
      this.#counters.bytesDropped += bytes;
      this.#emitTrace("drop", from, to, bytes);
      return;
    }
    this.#counters.framesDelivered++;
    this.#counters.bytesDelivered += bytes;
    receiver.counters.received(bytes);
    this.#emitTrace("deliver", from, to, bytes);
    receiver.events.emit("frame", from, frame);
  }

  /**
   * Tells both ends of each changed pair, at the current simulated time. An announcement that
   * is stale when it runs (the pair changed again, the endpoint closed) is skipped, so an
   * endpoint's `peers()` always matches the events its handlers saw.
   */
  #announce(changes: readonly ConnectionChange[]): void {
    for (const { kind, a, b, epoch } of changes) {
      for (const [at, peer] of [
        [a, b],
        [b, a],
      ] as const) {
        const endpoint = this.#endpoints.get(at);
        if (endpoint === undefined) continue;
        this.scheduler.setTimeout(() => this.#tell(endpoint, peer, kind, epoch), 0);
      }
    }
  }

  #tell(
    endpoint: SimulatedEndpoint,
    peer: ReplicaId,
    kind: ConnectionChange["kind"],
    epoch: number,
  ): void {
    if (endpoint.closed) return;
    const at = endpoint.localId;
    if (kind === "connect") {
      if (!this.#connections.isCurrent(at, peer, epoch)) return;
      endpoint.connections.set(peer, epoch);
      this.#emitTrace("connect", at, peer, 0);
      endpoint.events.emit("connected", peer);
    } else {
      if (endpoint.connections.get(peer) !== epoch) return;
      endpoint.connections.delete(peer);
      this.#emitTrace("disconnect", at, peer, 0);
      endpoint.events.emit("disconnected", peer);
    }
  }

  #emitTrace(kind: TraceKind, from: ReplicaId, to: ReplicaId, bytes: number): void {
    if (this.#trace.listenerCount("event") > 0) {
      this.#trace.emit("event", { time: this.now(), kind, from, to, bytes });
    }
  }
}
