import { type CrdtType, InvalidArgumentError, type WireForm } from "@convergent/core";

/** Any CRDT type, as the registry holds it. */
export type AnyCrdtType = CrdtType<unknown, unknown>;

/** A registered type and the older wire layouts it can still read, by version. */
export interface TypeEntry {
  readonly type: AnyCrdtType;
  readonly legacy: ReadonlyMap<number, WireForm<unknown>>;
}

const TAG = /^[\x21-\x7e]{1,64}$/;

export function checkType(type: AnyCrdtType): void {
  if (typeof type !== "object" || type === null || typeof type.name !== "string") {
    throw new InvalidArgumentError("a codec type must be a CrdtType with a string name");
  }
  if (!TAG.test(type.name)) {
    throw new InvalidArgumentError(
      `type tag "${type.name}" must be 1 to 64 printable ASCII characters without spaces`,
    );
  }
  checkWire(type.name, type.wire);
}

export function checkWire(tag: string, wire: WireForm<unknown> | undefined): void {
  if (
    typeof wire !== "object" ||
    wire === null ||
    typeof wire.toWire !== "function" ||
    typeof wire.fromWire !== "function" ||
    !Number.isSafeInteger(wire.version) ||
    wire.version < 0
  ) {
    throw new InvalidArgumentError(
      `"${tag}" needs a wire form with toWire, fromWire and a non-negative integer version`,
    );
  }
}

/** An entry for a type and its legacy layouts, refusing two layouts with one version. */
export function makeEntry(type: AnyCrdtType, legacyWires: readonly WireForm<unknown>[]): TypeEntry {
  checkType(type);
  const legacy = new Map<number, WireForm<unknown>>();
  for (const wire of legacyWires) {
    checkWire(type.name, wire);
    if (wire.version === type.wire.version || legacy.has(wire.version)) {
      throw new InvalidArgumentError(
        `"${type.name}" has two wire layouts with version ${wire.version}`,
      );
    }
    legacy.set(wire.version, wire);
  }
  return { type, legacy };
}
