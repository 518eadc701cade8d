export * from "./canonical-value.js";
export * from "./crdt.js";
export * from "./errors.js";
export * from "./local-replica.js";
export * from "./plain-value.js";
export * from "./wire.js";
