/**
 * Storage written before keys were (name, type) pairs (layout 1: the release before issue 11)
 * held each key under its bare name with the type's plain state, and a delete as a companion
 * key `U+0000 deleted: name` whose state was a version vector of the key's keyspace dots. This
 * turns such a snapshot into layout 2 once, at the first open, in one storage batch:
 *
 * - each key moves to `storeKey(name, tag)` with its keyspace dots unchanged;
 * - its presence counts each origin's latest keyspace dot, floored by the deletion record, so a
 *   key reads as deleted exactly when layout 1 read it so (every dot covered);
 * - a deleted key also gets its type's exact reset, so a G-Counter or LWW register deleted under
 *   layout 1 no longer comes back with its old value when written again.
 *
 * A key deleted and written again under layout 1 keeps what layout 1 showed (its old effects
 * were never removed then, and the record cannot say which were observed).
 */
import type { Dot, ReplicaId } from "@convergent/clocks";
import { DEFAULT_DECODE_LIMITS, InvalidArgumentError } from "@convergent/core";
import type { Embedded, PresenceState } from "@convergent/or-map";
import { type DottedEntry, decodeMessage, TypeRegistry } from "@convergent/sync";
import { RESERVED_PREFIX, storeKey } from "./keys.js";
import type { StoreTypes } from "./types.js";

const DELETION_PREFIX = `${RESERVED_PREFIX}deleted:`;

export interface Migrated {
  /** Entries in layout 2, keyed by their new keyspace keys. */
  readonly entries: DottedEntry[];
  /** Layout-1 storage keys to delete. */
  readonly obsolete: string[];
}

/** Converts layout-1 stored entries (bytes by bare key) into layout-2 entries. */
export function migrateLayout1(
  stored: ReadonlyMap<string, Uint8Array>,
  types: StoreTypes,
  ends: { readonly sender: ReplicaId; readonly receiver: ReplicaId },
): Migrated {
  // Layout 1 framed the plain states; deletion records were G-Counter states.
  const plain = new TypeRegistry();
  for (const tag of types.tags()) {
    const type = types.plain(tag);
    if (type !== undefined && tag !== "or-map") plain.register(type);
  }
  const decoded = new Map<string, DottedEntry>();
  for (const [key, bytes] of stored) {
    const message = decodeMessage(bytes, plain, ends, DEFAULT_DECODE_LIMITS);
    const entry = message.kind === "read-response" ? message.entries[0] : undefined;
    if (entry === undefined || entry.key !== key) {
      throw new InvalidArgumentError(`stored entry ${JSON.stringify(key)} is not a layout-1 entry`);
    }
    decoded.set(key, entry);
  }
  const entries: DottedEntry[] = [];
  for (const [key, entry] of decoded) {
    if (key.startsWith(DELETION_PREFIX)) continue;
    const wrapped = types.registry.get(entry.tag);
    const type = types.plain(entry.tag);
    if (wrapped === undefined || type === undefined) continue; // decode already refused these
    const record = decoded.get(DELETION_PREFIX + key)?.state as
      | ReadonlyMap<ReplicaId, number>
      | undefined;
    const presence = presenceFrom(entry.dots, record);
    const deleted = [...presence.values()].every(([count, floor]) => floor >= count);
    let state = entry.state;
    if (deleted && type.reset !== undefined) state = type.join(state, type.reset(state));
    const migrated: Embedded<unknown> = { presence, state };
    entries.push({
      key: storeKey(key, entry.tag),
      tag: entry.tag,
      state: migrated,
      dots: entry.dots,
    });
  }
  return { entries, obsolete: [...stored.keys()] };
}

function presenceFrom(
  dots: readonly Dot[],
  record: ReadonlyMap<ReplicaId, number> | undefined,
): PresenceState {
  const presence: PresenceState = new Map();
  for (const d of dots) {
    presence.set(d.replica, [d.counter, Math.min(d.counter, record?.get(d.replica) ?? 0)]);
  }
  return presence;
}
