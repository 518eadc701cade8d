import { type CrdtType, defineCrdt, type PlainValue } from "@convergent/core";
import { clone, equals, joinInto, leq } from "./lattice.js";
import { reset } from "./mutators.js";
import { value } from "./queries.js";
import { emptyMvRegister, type MvRegisterState } from "./state.js";
import { mvRegisterWire } from "./wire.js";

/**
 * A multi-value register (Dynamo and Riak siblings) in delta-state form: the MVRegister over a
 * causal dot store (Almeida, Shoker, Baquero 2018, "Delta state replicated data types", causal
 * delta-CRDTs). A write replaces exactly the writes its replica had seen; concurrent writes all
 * survive as siblings until a later write or `resolve` that has seen them collapses them.
 * `reset` (a delete) removes exactly the siblings it observed; a concurrent write survives it.
 */
export const mvRegister: CrdtType<MvRegisterState, readonly PlainValue[]> = defineCrdt<
  MvRegisterState,
  readonly PlainValue[]
>({
  name: "mv-register",
  empty: emptyMvRegister,
  joinInto,
  leq,
  equals,
  clone,
  value,
  wire: mvRegisterWire,
  reset,
});
