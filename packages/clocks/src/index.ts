export * from "./causal-context.js";
export * from "./dots.js";
export * from "./errors.js";
export * from "./hlc.js";
export * from "./hlc-format.js";
export * from "./lamport.js";
export * from "./replica-id.js";
export * from "./version-vector.js";
