import { ConvergentError } from "@convergent/core";

/**
 * The simulated network or its virtual clock was driven in a way that cannot make progress: a
 * run exceeded its event budget (a timer that reschedules itself forever), or `advance` was
 * called from inside a callback it was running.
 */
export class SimulationError extends ConvergentError {
  constructor(message: string) {
    super("SIMULATION", message);
  }
}
