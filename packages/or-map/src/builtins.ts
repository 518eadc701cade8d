import type { CrdtType } from "@convergent/core";
import { gCounter } from "@convergent/g-counter";
import { lwwMap, lwwRegister } from "@convergent/lww-register";
import { mvRegister } from "@convergent/mv-register";
import { orSet } from "@convergent/or-set";
import { pnCounter } from "@convergent/pn-counter";
import { createOrMap, type OrMapKit } from "./or-map.js";

/** The built-in types a default map holds, besides nested maps. */
export const BUILT_IN_FIELD_TYPES: readonly CrdtType<unknown, unknown>[] = [
  gCounter,
  pnCounter,
  orSet,
  lwwRegister,
  lwwMap,
  mvRegister,
] as readonly CrdtType<unknown, unknown>[];

const kit: OrMapKit = createOrMap(BUILT_IN_FIELD_TYPES);

/** The default OR-Map ("or-map"): fields of the built-in types and nested maps. */
export const orMap = kit.type;
export const updateField: OrMapKit["updateField"] = kit.updateField;
export const removeField: OrMapKit["removeField"] = kit.removeField;
export const getField: OrMapKit["getField"] = kit.getField;
export const fieldState: OrMapKit["fieldState"] = kit.fieldState;
