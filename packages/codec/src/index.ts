export {
  DEFAULT_DECODE_LIMITS,
  DecodeError,
  type DecodeErrorCode,
  type DecodeLimits,
} from "@convergent/core";
export { FORMAT_VERSION, FrameKind, HEADER_BYTES, MAGIC } from "./envelope.js";
export * from "./errors.js";
export * from "./limits.js";
export * from "./registry.js";
