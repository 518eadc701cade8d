/**
 * The messages between the demo's driver (the parent process) and its replica workers, over the
 * IPC channel of `child_process.fork`. Every command gets exactly one reply with the same `seq`,
 * so the driver can await commands like function calls; the worker also announces its port.
 */
import type { MetricsSnapshot } from "@convergent/replicated-store";

/** The four shared values the story edits, and the heartbeat register each replica writes. */
export const KEYS = {
  likes: "doc:likes",
  tags: "doc:tags",
  title: "doc:title",
  status: "doc:status",
} as const;
export const heartbeatKey = (replica: string): string => `presence:${replica}`;

export type Level = "one" | "quorum" | "all";

export type Command =
  | {
      readonly op: "connect";
      /** Every replica of the cluster (sizes quorum), and the ones this replica dials. */
      readonly cluster: readonly string[];
      readonly dial: readonly { id: string; url: string }[];
    }
  | { readonly op: "count"; readonly by: number }
  | { readonly op: "add"; readonly element: string }
  | { readonly op: "remove"; readonly element: string }
  | {
      readonly op: "title";
      readonly value: string;
      readonly level: Level;
      readonly timeoutMs: number;
    }
  | { readonly op: "status"; readonly value: string }
  | { readonly op: "resolve-status"; readonly value: string }
  | { readonly op: "heartbeat"; readonly everyMs: number | undefined }
  | { readonly op: "state" }
  | { readonly op: "peers" }
  | { readonly op: "metrics" }
  | { readonly op: "close" };

/** What a replica holds for the story's keys, as plain data. */
export interface DocState {
  readonly likes: number;
  readonly tags: readonly string[];
  /** The LWW register's winning write: its value, the replica that wrote it, its HLC time. */
  readonly title: { value: string; by: string; wallTime: number; logical: number } | undefined;
  readonly status: readonly string[];
  /** The keyspace version vector (the context's compacted part), as [replica, counter] pairs. */
  readonly context: readonly (readonly [string, number])[];
}

/** Outcome of a write at a consistency level above `one`. */
export type WriteOutcome =
  | { readonly ok: true; readonly ms: number }
  | {
      readonly ok: false;
      readonly ms: number;
      readonly code: string;
      readonly confirmed: readonly string[];
      readonly appliedLocally: boolean;
    };

export interface Replies {
  connect: { ok: true };
  count: { ok: true };
  add: { ok: true };
  remove: { ok: true };
  title: WriteOutcome;
  status: { ok: true };
  "resolve-status": { ok: true };
  heartbeat: { ok: true };
  state: DocState;
  peers: readonly string[];
  metrics: MetricsSnapshot;
  close: { ok: true };
}

/** Parent → worker. */
export interface Request {
  readonly seq: number;
  readonly command: Command;
}

/** Worker → parent. */
export type WorkerMessage =
  | { readonly kind: "listening"; readonly port: number }
  | { readonly kind: "reply"; readonly seq: number; readonly result: unknown }
  | { readonly kind: "failed"; readonly seq: number; readonly message: string };
