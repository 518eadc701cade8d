/**
 * What the page shows of one replica, kept current from the store's change events (so redrawing
 * the page does not count as reads in the metrics), and the demo's edits: every edit touches the
 * four demo keys, one per data type, so concurrent edits show each type's conflict behaviour.
 */
import type { ReplicaId } from "@convergent/clocks";
import type { createMetrics, Replica } from "@convergent/replicated-store";

export const KEYS = { counter: "likes", set: "tags", register: "title", mv: "color" } as const;

const COLORS = ["teal", "orange", "violet", "crimson", "gold", "navy"];

export type Metrics = ReturnType<typeof createMetrics>;

export interface ReplicaView {
  readonly id: ReplicaId;
  readonly counter: number;
  readonly tags: readonly string[];
  readonly title: string | undefined;
  /** MV-Register siblings: more than one means concurrent writes nobody has resolved yet. */
  readonly colors: readonly string[];
  /** Version vector entries (replica, counter), sorted, plus dots seen above a gap. */
  readonly vector: readonly (readonly [ReplicaId, number])[];
  readonly cloudDots: number;
  readonly peers: readonly ReplicaId[];
}

export type ChangeListener = (origin: "local" | "remote") => void;

export class ReplicaModel {
  readonly replica: Replica;
  readonly metrics: Metrics;
  readonly #values = new Map<string, unknown>();
  #edits = 0;

  private constructor(replica: Replica, metrics: Metrics) {
    this.replica = replica;
    this.metrics = metrics;
  }

  /** Reads the demo keys once (recovered state), then follows every change. */
  static async open(
    replica: Replica,
    metrics: Metrics,
    onChange?: ChangeListener,
  ): Promise<ReplicaModel> {
    const model = new ReplicaModel(replica, metrics);
    replica.subscribe((event) => {
      model.#values.set(event.key, event.exists ? event.value : undefined);
      onChange?.(event.origin);
    });
    const [counter, tags, title, colors] = await Promise.all([
      replica.counter(KEYS.counter).value(),
      replica.set(KEYS.set).values(),
      replica.register(KEYS.register).get(),
      replica.mvRegister(KEYS.mv).values(),
    ]);
    // A change event that arrived while reading is newer than the read.
    const initial: [string, unknown][] = [
      [KEYS.counter, counter.value],
      [KEYS.set, tags.value],
      [KEYS.register, title.exists ? title.value : undefined],
      [KEYS.mv, colors.value],
    ];
    for (const [key, value] of initial) if (!model.#values.has(key)) model.#values.set(key, value);
    return model;
  }

  view(): ReplicaView {
    const context = this.replica.keyspace.context;
    let cloudDots = 0;
    for (const dots of context.cloud.values()) cloudDots += dots.size;
    const counter = this.#values.get(KEYS.counter);
    const tags = this.#values.get(KEYS.set);
    const title = this.#values.get(KEYS.register);
    const colors = this.#values.get(KEYS.mv);
    return {
      id: this.replica.id,
      counter: typeof counter === "number" ? counter : 0,
      tags: tags instanceof Set ? [...tags].map(String).sort() : [],
      title: title === undefined ? undefined : String(title),
      colors: Array.isArray(colors) ? colors.map(String).sort() : [],
      vector: [...context.versionVector].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
      cloudDots,
      peers: this.replica.connectedPeers(),
    };
  }

  /** One edit of every demo key, as a user of this replica would make it. */
  async editAll(): Promise<void> {
    this.#edits += 1;
    const id = this.replica.id;
    const color = COLORS[(hash(id) + this.#edits) % COLORS.length] ?? "gray";
    await Promise.all([
      this.replica.counter(KEYS.counter).increment(1),
      this.replica.set(KEYS.set).add(`${id}#${this.#edits}`),
      this.replica.register(KEYS.register).set(`written by ${id} (edit ${this.#edits})`),
      this.replica.mvRegister(KEYS.mv).write(color),
    ]);
  }

  /** Collapses the MV-Register's siblings into one (the alphabetically first, a user's choice). */
  async resolveColor(): Promise<void> {
    await this.replica
      .mvRegister(KEYS.mv)
      .resolve((values) => [...values].map(String).sort()[0] ?? "gray");
  }
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h;
}
