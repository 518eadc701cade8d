import { DecodeError, type PlainValue, type WireForm, type WireReader } from "@convergent/core";
import type { LwwEntry } from "./entry.js";
import type { LwwRegisterState } from "./lww-register.js";
import { entryFromWire, entryToWire } from "./wire-entry.js";
import { decoding } from "./wire-value.js";

/**
 * `[]` for a register never written, else `[wallTime, logical, replica, value]`: `replica` is
 * the writer's table index and `value` the stored (canonical) PlainValue.
 */
export const lwwRegisterWire: WireForm<LwwRegisterState> = {
  version: 1,
  toWire(state, writer) {
    return state.entry === undefined ? [] : entryToWire(state.entry, writer);
  },
  fromWire: (plain, reader) => decoding("lww-register", () => decodeRegister(plain, reader)),
};

function decodeRegister(plain: unknown, reader: WireReader): LwwRegisterState {
  if (!Array.isArray(plain)) {
    throw new DecodeError("WRONG_TYPE", "lww-register must be an array");
  }
  if (plain.length === 0) return { entry: undefined };
  if (plain.length !== 4) {
    throw new DecodeError(
      "MALFORMED",
      "lww-register must be [] or [wallTime, logical, replica, value]",
    );
  }
  return { entry: entryFromWire(plain, 0, reader) as LwwEntry<PlainValue> };
}
