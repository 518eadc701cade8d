/**
 * The command line of `convergent serve`, parsed and validated in one place so that every
 * mistake is reported before anything is opened, with a message that names the flag, what it
 * got and what it wants (the CLI prints it and exits with code 2).
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { parseArgs } from "node:util";
import { type ReplicaId, replicaId, replicaIdProblem } from "@convergent/clocks";
import { ConvergentError } from "@convergent/core";

/** A command-line mistake; the CLI prints the message and exits with code 2. */
export class UsageError extends ConvergentError {
  constructor(message: string) {
    super("USAGE", message);
  }
}

/** Secrets shorter than this are refused. */
export const MIN_SECRET_BYTES = 32;
/** The environment variable a cluster secret may come from (the file flag wins). */
export const CLUSTER_SECRET_ENV = "CONVERGENT_CLUSTER_SECRET";

/** A configured peer this replica dials: its id (what it must prove) and its URL. */
export interface DialedPeer {
  readonly id: ReplicaId;
  readonly url: string;
}

/** Certificate and key (PEM) for serving https:// and wss://. */
export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface ServeConfig {
  readonly id: ReplicaId;
  /** 0 picks a free port (reported on stdout). */
  readonly port: number;
  readonly host: string;
  /** Configured members this replica dials (--peers id=url). */
  readonly peers: readonly DialedPeer[];
  /**
   * Every configured member other than this replica: the dialed peers and those that only
   * dial in (--members). N for quorum and all is members.length + 1; when it is non-empty,
   * only these ids may connect as replicas.
   */
  readonly members: readonly ReplicaId[];
  readonly data: string;
  readonly maxLagMs: number;
  /** Path of the WebSocket endpoint on the HTTP server. */
  readonly syncPath: string;
  /** Enables the /debug endpoints. */
  readonly debug: boolean;
  /**
   * The shared cluster secret (--cluster-secret-file, else $CONVERGENT_CLUSTER_SECRET); absent
   * in insecure mode. Never logged.
   */
  readonly clusterSecret: Uint8Array | undefined;
  /** --insecure: listening beyond loopback without a cluster secret was asked for. */
  readonly insecure: boolean;
  /** --tls-cert and --tls-key: serve https:// and wss://. */
  readonly tls: TlsFiles | undefined;
  /** --tls-ca: CA certificates (PEM) trusted when dialing wss:// peers. */
  readonly tlsCa: Buffer | undefined;
  /** --http-token-file: /metrics and /health then require `Authorization: Bearer <token>`. */
  readonly httpToken: string | undefined;
}

export const USAGE = `Usage: convergent serve --id <id> --port <port> --data <dir> [options]

Runs one replica: SQLite storage in <dir>, a WebSocket sync endpoint that other replicas and
browsers connect to, HTTP /metrics (Prometheus text) and /health (JSON) on the same port.

Required:
  --id <id>            replica id: 1-64 characters, no control characters; unique per replica
  --port <port>        TCP port, 0-65535 (0 picks a free one; see the "listening" line)
  --data <dir>         data directory (created if missing); holds replica.db

Cluster (N for quorum and all = the configured members + this replica):
  --peers <id=url,...> members to dial, comma-separated id=ws://... or id=wss://...
                       (e.g. b=ws://10.0.0.2:7000/sync,c=wss://c.example.com/sync)
  --members <id,...>   members that only dial in (not dialed from here)
                       With any --peers or --members, only those ids may connect as
                       replicas; without them, any id may (a standalone node, N = 1).

Security (see docs/security.md):
  --cluster-secret-file <path>
                       shared cluster secret, at least 32 bytes (one trailing newline is
                       ignored); every connection proves it both ways (HMAC challenge-
                       response). Or set CONVERGENT_CLUSTER_SECRET (the file wins).
  --insecure           allow --host beyond loopback without a cluster secret (anyone who
                       can connect can claim any member's id); logs a warning on every start
  --tls-cert <path>    certificate (PEM) for https:// and wss://; needs --tls-key
  --tls-key <path>     private key (PEM) of --tls-cert
  --tls-ca <path>      CA certificates (PEM) to trust when dialing wss:// peers
  --http-token-file <path>
                       /metrics and /health require "Authorization: Bearer <token>"

Options:
  --host <host>        interface to listen on (default 127.0.0.1; 0.0.0.0 or :: for all,
                       which needs a cluster secret or --insecure)
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

function memberId(flag: string, raw: string): ReplicaId {
  const problem = replicaIdProblem(raw);
  if (problem !== undefined) throw new UsageError(`${flag}: ${JSON.stringify(raw)}: ${problem}`);
  return replicaId(raw);
}

const NEW_PEER_FORM = "--peers id=ws://host:port/sync (e.g. --peers b=ws://10.0.0.2:7000/sync)";

/**
 * One --peers entry, `id=url`. A bare URL (the old form) is refused: without the id, the node
 * could not tell which member answered, size N or refuse an impostor.
 */
function dialedPeer(raw: string): DialedPeer {
  if (/^wss?:\/\//i.test(raw)) {
    throw new UsageError(
      `--peers: ${JSON.stringify(raw)} names no member id; use ${NEW_PEER_FORM}`,
    );
  }
  const at = raw.indexOf("=");
  if (at <= 0) {
    throw new UsageError(`--peers: ${JSON.stringify(raw)} is not id=url; use ${NEW_PEER_FORM}`);
  }
  const id = memberId("--peers", raw.slice(0, at));
  const rawUrl = raw.slice(at + 1);
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new UsageError(
      `--peers: ${JSON.stringify(rawUrl)} is not a URL (expected ws://host:port/sync)`,
    );
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new UsageError(`--peers: ${JSON.stringify(rawUrl)} must start with ws:// or wss://`);
  }
  return { id, url: url.href };
}

function list(value: string | boolean | undefined): string[] {
  return typeof value === "string"
    ? value
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "")
    : [];
}

function readFlagFile(flag: string, path: string | boolean | undefined): Buffer | undefined {
  if (typeof path !== "string") return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new UsageError(`--${flag}: cannot read ${JSON.stringify(path)} (${reason})`);
  }
}

/** The file's bytes (or the variable's UTF-8), without one trailing newline; never echoed. */
function clusterSecretFrom(
  file: string | boolean | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Uint8Array | undefined {
  const fromFile = readFlagFile("cluster-secret-file", file);
  const where =
    fromFile !== undefined ? `--cluster-secret-file ${String(file)}` : `$${CLUSTER_SECRET_ENV}`;
  let bytes: Uint8Array | undefined = fromFile;
  const fromEnv = env[CLUSTER_SECRET_ENV];
  if (bytes === undefined && fromEnv !== undefined && fromEnv !== "") {
    bytes = new TextEncoder().encode(fromEnv);
  }
  if (bytes === undefined) return undefined;
  let end = bytes.length;
  if (bytes[end - 1] === 0x0a) end--;
  if (bytes[end - 1] === 0x0d) end--;
  const secret = bytes.slice(0, end);
  if (secret.length < MIN_SECRET_BYTES) {
    throw new UsageError(
      `the cluster secret from ${where} is ${secret.length} bytes; it must be at least ${MIN_SECRET_BYTES} (e.g. \`openssl rand -base64 48\`)`,
    );
  }
  return secret;
}

/** Whether `host` is a loopback interface (only this machine can connect). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (bare === "localhost" || bare === "::1") return true;
  return isIP(bare) === 4 && bare.startsWith("127.");
}

/** What the command line asks for: a server to run, or the help text. */
export type ParsedCommand =
  | { readonly kind: "help" }
  | { readonly kind: "serve"; readonly config: ServeConfig };

/**
 * Parses `argv` (without node and the script): `serve` and its flags. Reads the secret, TLS and
 * token files named by flags, and the cluster secret from `env`. Throws UsageError.
 */
export function parseCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): ParsedCommand {
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
        members: { type: "string" },
        "cluster-secret-file": { type: "string" },
        insecure: { type: "boolean" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "tls-ca": { type: "string" },
        "http-token-file": { type: "string" },
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
  const peers = list(values.peers).map(dialedPeer);
  const dialInOnly = list(values.members).map((m) => memberId("--members", m));
  const members = [...peers.map((p) => p.id), ...dialInOnly];
  if (new Set(members).size !== members.length) {
    throw new UsageError("--peers and --members name one member twice");
  }
  if (members.includes(replicaId(id))) {
    throw new UsageError(`--peers/--members list this replica's own id ${JSON.stringify(id)}`);
  }
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
  const clusterSecret = clusterSecretFrom(values["cluster-secret-file"], env);
  const insecure = values.insecure === true;
  if (clusterSecret === undefined && !insecure && !isLoopbackHost(host)) {
    throw new UsageError(
      `refusing to listen on ${host} without a cluster secret: anyone who can reach it could ` +
        `join as any member. Pass --cluster-secret-file <path> (or set ${CLUSTER_SECRET_ENV}), ` +
        "or --insecure on a network you trust",
    );
  }
  const cert = readFlagFile("tls-cert", values["tls-cert"]);
  const key = readFlagFile("tls-key", values["tls-key"]);
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError("--tls-cert and --tls-key go together");
  }
  const tokenBytes = readFlagFile("http-token-file", values["http-token-file"]);
  const httpToken = tokenBytes?.toString("utf8").trim();
  if (httpToken !== undefined && (httpToken.length < 16 || /\s/.test(httpToken))) {
    throw new UsageError(
      "--http-token-file must hold one token of at least 16 characters without spaces",
    );
  }
  return {
    kind: "serve",
    config: {
      id: replicaId(id),
      port,
      host,
      peers,
      members,
      data,
      maxLagMs,
      syncPath,
      debug: values.debug === true,
      clusterSecret,
      insecure,
      tls: cert !== undefined && key !== undefined ? { cert, key } : undefined,
      tlsCa: readFlagFile("tls-ca", values["tls-ca"]),
      httpToken,
    },
  };
}
