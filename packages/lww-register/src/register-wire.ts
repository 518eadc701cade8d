import {
  DecodeError,
  InvalidArgumentError,
  type WireForm,
  type WireReader,
} from "@convergent/core";
import type { LwwRegisterState } from "./lww-register.js";
import { entryFromWire, entryToWire } from "./wire-entry.js";
import { decoding } from "./wire-value.js";

/**
 * Version 2: `[]` for a register never written, `[wallTime, logical, replica, value]` for a
 * write and `[wallTime, logical, replica]` for a deleted write (a tombstone at that write's
 * timestamp). `replica` is the writer's table index and `value` the stored (canonical)
 * PlainValue. Version 1 had no tombstone and is otherwise the same layout, so a version-1
 * payload also reads as version 2 (the sync protocol, which carries no wire version, relies on
 * that), and a version-1 reader rejects a tombstone as MALFORMED instead of misreading it.
 */
export const lwwRegisterWire: WireForm<LwwRegisterState> = {
  version: 2,
  toWire(state, writer) {
    return state.entry === undefined ? [] : entryToWire(state.entry, writer);
  },
  fromWire: (plain, reader) => decoding("lww-register", () => decodeRegister(plain, reader, true)),
};

/**
 * Version 1, `[]` or `[wallTime, logical, replica, value]`: register it as a legacy wire form
 * (`createCodec({ types: [{ type: lwwRegister, legacy: [lwwRegisterWireV1] }] })`) to read
 * frames written before version 2. It writes only registers that hold no tombstone.
 */
export const lwwRegisterWireV1: WireForm<LwwRegisterState> = {
  version: 1,
  toWire(state, writer) {
    if (state.entry === undefined) return [];
    if (state.entry.value === undefined) {
      throw new InvalidArgumentError(
        "a deleted lww-register (a tombstone) has no version-1 wire form; write version 2",
      );
    }
    return entryToWire(state.entry, writer);
  },
  fromWire: (plain, reader) => decoding("lww-register", () => decodeRegister(plain, reader, false)),
};

function decodeRegister(plain: unknown, reader: WireReader, tombstones: boolean): LwwRegisterState {
  if (!Array.isArray(plain)) {
    throw new DecodeError("WRONG_TYPE", "lww-register must be an array");
  }
  if (plain.length === 0) return { entry: undefined };
  if (plain.length !== 4 && !(tombstones && plain.length === 3)) {
    throw new DecodeError(
      "MALFORMED",
      tombstones
        ? "lww-register must be [], [wallTime, logical, replica] or [wallTime, logical, replica, value]"
        : "lww-register must be [] or [wallTime, logical, replica, value]",
    );
  }
  return { entry: entryFromWire(plain, 0, reader) };
}
