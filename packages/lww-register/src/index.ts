export { compareEntries, type LwwEntry } from "./entry.js";
export { type LwwMapEntry, type LwwMapState, lwwMap } from "./lww-map.js";
export { type LwwRegisterState, lwwRegister } from "./lww-register.js";
export { getKey, hasKey, keyProblem, mapValue, removeKey, resetMap, setKey } from "./map-ops.js";
export { lwwMapWire } from "./map-wire.js";
export { reset, set, value } from "./register-ops.js";
export { lwwRegisterWire, lwwRegisterWireV1 } from "./register-wire.js";
