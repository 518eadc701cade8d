/** A broken guarantee, numbered as in docs/guarantees.md. */
export interface Violation {
  readonly check:
    | "1-convergence"
    | "2-acknowledged-write-lost"
    | "2-quorum-read-missed-write"
    | "3-session"
    | "4-causality"
    | "5-sequential-spec"
    | "liveness"
    | "harness";
  readonly message: string;
}
