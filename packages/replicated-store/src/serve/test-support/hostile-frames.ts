/**
 * Hostile sync frames for the serve process's fuzz test: valid frames of every common kind
 * (encoded with the real codec, so mutations start from bytes the decoder nearly accepts) and
 * deterministic mutations of them. Everything is drawn from fast-check with a fixed seed, so a
 * failure names frames that the next run sends again.
 */
import {
  emptyCausalContext,
  HybridLogicalClock,
  type ReplicaId,
  replicaId,
} from "@convergent/clocks";
import { lwwRegister, set } from "@convergent/lww-register";
import { embedded, embeddedUpdate } from "@convergent/or-map";
import { encodeMessage, Keyspace, type SyncMessage, wholeStateDeltas } from "@convergent/sync";
import fc from "fast-check";
import { storeKey } from "../../store/keys.js";
import { StoreTypes } from "../../store/types.js";

/** Every key a hostile valid frame writes starts with this; the guarded keys never do. */
export const HOSTILE_PREFIX = "hostile/";

/**
 * Valid frames from `from` to `to`. `spoofAs` are other replicas (the receiver itself, a legit
 * peer) whose keyspace dots the frames claim: the protocol relays entries of any origin, so
 * the receiver must take them for the hostile keys without losing track of its own keys.
 */
export function validFrames(
  from: ReplicaId,
  to: ReplicaId,
  spoofAs: readonly ReplicaId[],
): Uint8Array[] {
  const { registry } = new StoreTypes([]);
  const register = embedded(lwwRegister);
  const messages: SyncMessage[] = [];
  for (const origin of [from, ...spoofAs]) {
    const keyspace = new Keyspace({ replica: origin, registry });
    const clock = new HybridLogicalClock(origin);
    for (let i = 0; i < 3; i++) {
      const key = storeKey(`${HOSTILE_PREFIX}${origin}/${i}`, lwwRegister.name);
      keyspace.update(key, register, (entry) =>
        embeddedUpdate(
          entry,
          origin,
          set(entry.state, clock, { by: origin, i, pad: "x".repeat(i * 7) }),
        ),
      );
    }
    const entries = keyspace.missing(new Keyspace({ replica: origin, registry }).context);
    messages.push(
      { kind: "delta-push", seq: 1, deps: undefined, entries: wholeStateDeltas(entries) },
      { kind: "delta-push", seq: 2, deps: keyspace.context, entries: wholeStateDeltas(entries) },
      { kind: "sync-response", context: keyspace.context, entries },
      { kind: "sync-request", context: keyspace.context },
      { kind: "read-response", id: 7, context: keyspace.context, entries },
    );
  }
  messages.push(
    { kind: "delta-ack", seq: 3 },
    { kind: "read-request", id: 1, keys: [`${HOSTILE_PREFIX}none`] },
    { kind: "merkle-digest", depth: 4, salt: 0x1234_5678, level: 0, nodes: [[3, 0xdead_beef]] },
  );
  messages.push(...boundMessages(from, to, spoofAs));
  const frames = messages.map((m) => encodeMessage(m, registry, { sender: from, receiver: to }));
  // Frames encoded as if another replica sent them: indices 0 and 1 are bound to the connection,
  // so the receiver reads them as coming from `from` whatever the encoder believed.
  for (const other of spoofAs) {
    if (other === to) continue;
    frames.push(
      encodeMessage(messages[0] as SyncMessage, registry, { sender: other, receiver: to }),
      encodeMessage(messages[0] as SyncMessage, registry, { sender: to, receiver: other }),
    );
  }
  return frames;
}

/**
 * Frames built to hit issue 12's bounds: claims on the receiver's own counter up to 2^53 - 1,
 * far-future counters of other origins (backed by a junk entry or by nothing), a cloud of
 * 100,000 dots, and split-response parts (kind 11) that claim more than they carry.
 */
export function boundMessages(
  from: ReplicaId,
  to: ReplicaId,
  others: readonly ReplicaId[],
): SyncMessage[] {
  const top = Number.MAX_SAFE_INTEGER;
  const register = embedded(lwwRegister);
  const clock = new HybridLogicalClock(from);
  const junk = (name: string, replica: ReplicaId, counter: number) => {
    const empty = register.empty();
    const state = embeddedUpdate(empty, from, set(empty.state, clock, name));
    const key = storeKey(`${HOSTILE_PREFIX}${name}`, lwwRegister.name);
    return { key, tag: register.name, state, dots: [{ replica, counter }] };
  };
  const claim = (entries: [ReplicaId, number][], cloud?: [ReplicaId, number[]]) => {
    const context = emptyCausalContext();
    for (const [replica, counter] of entries) context.versionVector.set(replica, counter);
    if (cloud !== undefined) context.cloud.set(cloud[0], new Set(cloud[1]));
    return context;
  };
  const far = others.map((o) => [o, 2 ** 40] as [ReplicaId, number]);
  const cloud: [ReplicaId, number[]] = [from, Array.from({ length: 100_000 }, (_, i) => 5 + 2 * i)];
  return [
    { kind: "sync-response", context: claim([[to, top]]), entries: [junk("own", to, top)] },
    { kind: "sync-response", context: claim(far), entries: [] },
    {
      kind: "sync-response",
      context: claim(far),
      entries: [junk("far", others[0] ?? from, 2 ** 40)],
    },
    { kind: "sync-request", context: claim([[to, top], ...far], cloud) },
    { kind: "read-response", id: 1, context: claim([[to, top]]), entries: [] },
    {
      kind: "delta-push",
      seq: 9,
      deps: claim(far),
      entries: wholeStateDeltas([junk("unmet", from, 1)]),
    },
    {
      kind: "delta-push",
      seq: 10,
      deps: undefined,
      entries: wholeStateDeltas([junk("gap", from, top)]).map((e) => ({ ...e, prev: top - 1 })),
    },
    ...[0, 1].map(
      (index): SyncMessage => ({
        kind: "sync-response-part",
        id: 5,
        index,
        count: 2,
        context: claim([[to, top], ...far]),
        entries: [junk(`part-${index}`, from, index + 1)],
      }),
    ),
  ];
}

export type Mutation = "bit-flip" | "truncate" | "inflate-length" | "splice" | "overwrite";

function bitFlips(base: Uint8Array, positions: readonly number[]): Uint8Array {
  const out = base.slice();
  for (const p of positions) {
    const bit = p % (out.length * 8);
    out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7));
  }
  return out;
}

/** Replaces the byte at `at` with a maximal-length varint, so any count or length read there explodes. */
function inflate(base: Uint8Array, at: number, huge: readonly number[]): Uint8Array {
  const i = at % base.length;
  const out = new Uint8Array(base.length - 1 + huge.length);
  out.set(base.subarray(0, i), 0);
  out.set(huge, i);
  out.set(base.subarray(i + 1), i + huge.length);
  return out;
}

const HUGE_VARINTS: readonly (readonly number[])[] = [
  [0xff, 0xff, 0xff, 0xff, 0x0f], // 2^32 - 1
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f], // 2^53 - 1 region
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // longer than any integer
  [0xff, 0xff, 0xff], // unterminated
  [0x1f], // plain header claiming an extended argument follows
];

/** `count` mutated copies of `valid`, each tagged with how it was made. */
export function mutatedFrames(
  valid: readonly Uint8Array[],
  count: number,
  seed: number,
): { mutation: Mutation; frame: Uint8Array }[] {
  const pick = fc.nat({ max: valid.length - 1 }).map((i) => valid[i] as Uint8Array);
  const mutation = fc.oneof(
    fc
      .tuple(pick, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }))
      .map(([base, at]) => ({ mutation: "bit-flip" as const, frame: bitFlips(base, at) })),
    fc.tuple(pick, fc.nat()).map(([base, n]) => ({
      mutation: "truncate" as const,
      frame: base.slice(0, n % base.length),
    })),
    fc.tuple(pick, fc.nat(), fc.constantFrom(...HUGE_VARINTS)).map(([base, at, huge]) => ({
      mutation: "inflate-length" as const,
      frame: inflate(base, at, huge),
    })),
    fc.tuple(pick, pick, fc.nat(), fc.nat()).map(([a, b, i, j]) => {
      const head = a.subarray(0, 1 + (i % a.length));
      const tail = b.subarray(j % b.length);
      const out = new Uint8Array(head.length + tail.length);
      out.set(head, 0);
      out.set(tail, head.length);
      return { mutation: "splice" as const, frame: out };
    }),
    fc
      .tuple(pick, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 6 }))
      .map(([base, at, bytes]) => {
        const out = base.slice();
        out.set(bytes.subarray(0, Math.max(0, out.length - (at % out.length))), at % out.length);
        return { mutation: "overwrite" as const, frame: out };
      }),
  );
  return fc.sample(mutation, { numRuns: count, seed });
}

/** Random frames of 0 to `maxLength` bytes; about one in four starts with a plausible header. */
export function randomFrames(count: number, seed: number, maxLength = 300): Uint8Array[] {
  const header = fc.integer({ min: 1, max: 10 }).map((kind) => (2 << 5) | kind);
  const frame = fc.oneof(
    { weight: 3, arbitrary: fc.uint8Array({ maxLength }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(header, fc.uint8Array({ maxLength }))
        .map(([h, rest]) => Uint8Array.of(h, ...rest)),
    },
  );
  return fc.sample(frame, { numRuns: count, seed });
}

export const HOSTILE_ID = replicaId("mallory");

export function hex(frame: Uint8Array, max = 512): string {
  const shown = Buffer.from(frame.subarray(0, max)).toString("hex");
  return frame.length > max ? `${shown}…(${frame.length} bytes)` : shown;
}
