/** Shared by the sync tests: a registry of the fixture types and a canonical keyspace image. */
import { equalCausalContexts, type ReplicaId, replicaId } from "@convergent/clocks";
import { toWireImage } from "@convergent/core/testing";
import { assignRegister, fixtureCounter, fixtureRegister, incrementCounter } from "./fixtures.js";
import { Keyspace } from "./keyspace.js";
import { TypeRegistry } from "./registry.js";

export function fixtureRegistry(): TypeRegistry {
  return new TypeRegistry([fixtureRegister, fixtureCounter]);
}

export function newKeyspace(id: string): Keyspace {
  return new Keyspace({ replica: replicaId(id), registry: fixtureRegistry() });
}

/** One random local write, as the property tests generate them. */
export interface WriteOp {
  readonly key: number;
  readonly counter: boolean;
  readonly amount: number;
}

/** Applies a write; counters live on odd keys and registers on even ones, so tags never clash. */
export function applyWrite(keyspace: Keyspace, op: WriteOp, tick: number): void {
  const key = `k${op.key * 2 + (op.counter ? 1 : 0)}`;
  if (op.counter) {
    keyspace.update(key, fixtureCounter, (s, r) => incrementCounter(s, r, op.amount));
  } else {
    const value = new Uint8Array([op.amount & 0xff, tick & 0xff]);
    keyspace.update(key, fixtureRegister, (s, r: ReplicaId) =>
      assignRegister(s, r, tick, op.amount, value),
    );
  }
}

/** Canonical image of every key (sorted), comparable with toEqual across replicas. */
export function keyspaceImage(keyspace: Keyspace): unknown[] {
  return [...keyspace.entries()]
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((e) => {
      const type = keyspace.registry.get(e.tag);
      if (type === undefined) throw new Error(`unregistered ${e.tag}`);
      return [e.key, e.tag, toWireImage(type, e.state)];
    });
}

export function sameContexts(a: Keyspace, b: Keyspace): boolean {
  return equalCausalContexts(a.context, b.context);
}
