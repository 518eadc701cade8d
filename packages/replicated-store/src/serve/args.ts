/**
 * The command line of `convergent serve`, parsed and validated in one place so that every
 * mistake is reported before anything is opened, with a message that names the flag, what it
 * got and what it wants (the CLI prints it and exits with code 2).
 */
import { parseArgs } from "node:util";
import { type ReplicaId, replicaId, replicaIdProblem } from "@convergent/clocks";
import { ConvergentError } from "@convergent/core";

/** A command-line mistake; the CLI prints the message and exits with code 2. */
export class UsageError extends ConvergentError {
  constructor(message: string) {
    super("USAGE", message);
  }
}

export interface ServeConfig {
  readonly id: ReplicaId;
  /** 0 picks a free port (reported on stdout). */
  readonly port: number;
  readonly host: string;
  /** ws:// or wss:// URLs of replicas to dial. */
  readonly peers: readonly string[];
  readonly data: string;
  readonly maxLagMs: number;
  /** Path of the WebSocket endpoint on the HTTP server. */
  readonly syncPath: string;
  /** Enables the /debug endpoints. */
  readonly debug: boolean;
}

export const USAGE = `Usage: convergent serve --id <id> --port <port> --data <dir> [options]

Runs one replica: SQLite storage in <dir>, a WebSocket sync endpoint that other replicas and
browsers connect to, HTTP /metrics (Prometheus text) and /health (JSON) on the same port.

Required:
  --id <id>            replica id: 1-64 characters, no control characters; unique per replica
  --port <port>        TCP port, 0-65535 (0 picks a free one; see the "listening" line)
  --data <dir>         data directory (created if missing); holds replica.db

Options:
  --peers <url,...>    replicas to connect to, comma-separated ws:// or wss:// URLs
                       (e.g. ws://10.0.0.2:7000/sync)
  --host <host>        interface to listen on (default 127.0.0.1; 0.0.0.0 or :: for all)
  --max-lag-ms <ms>    divergence window for /health (default 30000)
  --sync-path <path>   path of the WebSocket endpoint (default /sync)
  --debug              enable POST /debug/put?key=&level= (JSON body) and
                       GET /debug/get?key=&level=: one LWW register per key; for tests,
                       never on a port others can reach
  -h, --help           print this help
`;

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") {
    throw new UsageError(`--${name} is required`);
  }
  return value;
}

function integerIn(name: string, raw: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(
      `--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function peerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(
      `--peers: ${JSON.stringify(raw)} is not a URL (expected ws://host:port/sync)`,
    );
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new UsageError(`--peers: ${JSON.stringify(raw)} must start with ws:// or wss://`);
  }
  return url.href;
}

/** What the command line asks for: a server to run, or the help text. */
export type ParsedCommand =
  | { readonly kind: "help" }
  | { readonly kind: "serve"; readonly config: ServeConfig };

/** Parses `argv` (without node and the script): `serve` and its flags. Throws UsageError. */
export function parseCommand(argv: readonly string[]): ParsedCommand {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError("missing command: try `convergent serve --help`");
  if (command === "-h" || command === "--help" || command === "help") return { kind: "help" };
  if (command !== "serve") {
    throw new UsageError(`unknown command ${JSON.stringify(command)}; the only command is serve`);
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      strict: true,
      allowPositionals: false,
      options: {
        id: { type: "string" },
        port: { type: "string" },
        peers: { type: "string" },
        data: { type: "string" },
        host: { type: "string" },
        "max-lag-ms": { type: "string" },
        "sync-path": { type: "string" },
        debug: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return { kind: "help" };

  const id = required(values, "id");
  const problem = replicaIdProblem(id);
  if (problem !== undefined) throw new UsageError(`--id: ${problem}`);
  const port = integerIn("port", required(values, "port"), 0, 65_535);
  const data = required(values, "data");
  const peers =
    typeof values.peers === "string"
      ? values.peers
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== "")
          .map(peerUrl)
      : [];
  if (new Set(peers).size !== peers.length) throw new UsageError("--peers lists a URL twice");
  const maxLag = values["max-lag-ms"];
  const maxLagMs =
    typeof maxLag === "string" ? integerIn("max-lag-ms", maxLag, 1, 2_147_483_647) : 30_000;
  const syncPath = typeof values["sync-path"] === "string" ? values["sync-path"] : "/sync";
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(syncPath) || ["/metrics", "/health"].includes(syncPath)) {
    throw new UsageError(
      `--sync-path must be a path like /sync (not /metrics or /health), got ${JSON.stringify(syncPath)}`,
    );
  }
  const host = typeof values.host === "string" ? values.host : "127.0.0.1";
  if (host === "") throw new UsageError("--host must not be empty");
  return {
    kind: "serve",
    config: {
      id: replicaId(id),
      port,
      host,
      peers,
      data,
      maxLagMs,
      syncPath,
      debug: values.debug === true,
    },
  };
}
