import { ConvergentError } from "@convergent/core";

/**
 * A frame that decoded but breaks the protocol's rules in a way no honest peer does, such as a
 * causal push whose dependencies claim dots of the receiver that it never issued (the push
 * could never be delivered). The frame is refused whole.
 */
export class ProtocolViolationError extends ConvergentError {
  constructor(message: string) {
    super("PROTOCOL_VIOLATION", message);
  }
}

/**
 * Handling one frame threw something that is not a ConvergentError (a bug, or a resource limit
 * of the runtime such as `RangeError: Set maximum size exceeded`). The frame counts as rejected
 * and the error is kept as `cause`; it never reaches the transport's event loop (issue 12).
 */
export class FrameHandlingError extends ConvergentError {
  constructor(cause: unknown) {
    super("FRAME_HANDLING_FAILED", `handling a frame failed: ${String(cause)}`, { cause });
  }
}
