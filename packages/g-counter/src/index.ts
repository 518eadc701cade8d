export * from "./errors.js";
export * from "./g-counter.js";
export * from "./increment.js";
export * from "./reset.js";
export * from "./value.js";
export * from "./wire.js";
