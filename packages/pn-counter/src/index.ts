export * from "./errors.js";
export * from "./mutators.js";
export * from "./pn-counter.js";
export * from "./reset.js";
export * from "./value.js";
export * from "./wire.js";
