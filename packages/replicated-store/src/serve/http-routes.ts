/**
 * The HTTP side of the serve process: GET /metrics (Prometheus text), GET /health (JSON, 200 or
 * 503), and with --debug the two endpoints the process tests write and read through. WebSocket
 * upgrades never reach this handler (ws takes them from the server's "upgrade" event).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  ConvergentError,
  InvalidArgumentError,
  type PlainValue,
  plainValueProblem,
} from "@convergent/core";
import { KeyTypeConflictError } from "@convergent/sync";
import type { HealthReport } from "../metrics/health.js";
import { PROMETHEUS_CONTENT_TYPE } from "../metrics/prometheus.js";
import type { ConsistencyLevel } from "../store/levels.js";
import type { HostedReplica } from "./hosted-replica.js";

/** Largest debug request body accepted. */
export const MAX_DEBUG_BODY_BYTES = 64 * 1024;

export interface RouteDeps {
  readonly metricsText: () => string;
  readonly health: () => HealthReport & Record<string, unknown>;
  /** Present only with --debug. */
  readonly debug: HostedReplica | undefined;
  /** With --http-token-file: every route requires `Authorization: Bearer <token>`. */
  readonly bearerToken?: string | undefined;
}

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * Whether the request carries the bearer token. Both sides are hashed first, so the comparison
 * takes the same time whatever the length or content of the guess.
 */
function hasToken(request: IncomingMessage, expected: Buffer): boolean {
  const header = request.headers.authorization ?? "";
  const match = /^Bearer[ ]+(\S+)$/i.exec(header);
  const given = digest(match?.[1] ?? "");
  return timingSafeEqual(given, expected) && match !== null;
}

function send(
  response: ServerResponse,
  status: number,
  body: string,
  type = "application/json; charset=utf-8",
): void {
  response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  response.end(body);
}

function json(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, `${JSON.stringify(value)}\n`);
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    length += buffer.byteLength;
    if (length > MAX_DEBUG_BODY_BYTES) {
      throw new HttpError(413, `body larger than ${MAX_DEBUG_BODY_BYTES} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function keyParam(url: URL): string {
  const key = url.searchParams.get("key");
  if (key === null || key === "") throw new HttpError(400, "missing ?key=");
  return key;
}

function levelParam(url: URL): ConsistencyLevel {
  const raw = url.searchParams.get("level") ?? "one";
  if (raw === "one" || raw === "quorum" || raw === "all") return raw;
  if (/^[1-9][0-9]{0,5}$/.test(raw)) return Number(raw);
  throw new HttpError(
    400,
    `level must be one, quorum, all or a positive integer, got ${JSON.stringify(raw)}`,
  );
}

/** HTTP status for a typed error from the replica. */
function statusOf(error: ConvergentError): number {
  if (error instanceof InvalidArgumentError) return 400;
  if (error instanceof KeyTypeConflictError) return 409;
  if (error.code === "CONSISTENCY_TIMEOUT") return 504;
  if (error.code === "REPLICA_CLOSED") return 503;
  return 500;
}

async function debugRoute(
  replica: HostedReplica,
  request: IncomingMessage,
  url: URL,
  response: ServerResponse,
): Promise<void> {
  if (url.pathname === "/debug/put") {
    if (request.method !== "POST") throw new HttpError(405, "use POST");
    const key = keyParam(url);
    const level = levelParam(url);
    let value: unknown;
    try {
      value = JSON.parse(await readBody(request));
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(400, "the body must be a JSON value");
    }
    const problem = plainValueProblem(value);
    if (problem !== undefined) throw new HttpError(400, `not a storable value: ${problem}`);
    await replica.put(key, value as PlainValue, level);
    json(response, 200, { key, written: true, level });
    return;
  }
  if (url.pathname === "/debug/get") {
    if (request.method !== "GET") throw new HttpError(405, "use GET");
    const key = keyParam(url);
    const value = await replica.get(key, levelParam(url));
    json(response, 200, value === undefined ? { key, found: false } : { key, found: true, value });
    return;
  }
  throw new HttpError(
    404,
    "no such debug endpoint (POST /debug/put?key=&level=, GET /debug/get?key=&level=)",
  );
}

async function route(
  deps: RouteDeps,
  expectedToken: Buffer | undefined,
  request: IncomingMessage,
  response: ServerResponse,
) {
  if (expectedToken !== undefined && !hasToken(request, expectedToken)) {
    response.writeHead(401, {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      "www-authenticate": 'Bearer realm="convergent"',
    });
    response.end(`${JSON.stringify({ error: "missing or wrong bearer token" })}\n`);
    return;
  }
  const url = new URL(request.url ?? "/", "http://localhost");
  if (url.pathname === "/metrics" || url.pathname === "/health") {
    if (request.method !== "GET" && request.method !== "HEAD") throw new HttpError(405, "use GET");
    if (url.pathname === "/metrics") {
      send(response, 200, deps.metricsText(), PROMETHEUS_CONTENT_TYPE);
    } else {
      const report = deps.health();
      json(response, report.healthy ? 200 : 503, report);
    }
    return;
  }
  if (url.pathname.startsWith("/debug/") && deps.debug !== undefined) {
    await debugRoute(deps.debug, request, url, response);
    return;
  }
  throw new HttpError(404, "not found (GET /metrics, GET /health)");
}

/** The request listener for the process's HTTP server. */
export function httpRoutes(deps: RouteDeps) {
  const expectedToken = deps.bearerToken === undefined ? undefined : digest(deps.bearerToken);
  return (request: IncomingMessage, response: ServerResponse): void => {
    route(deps, expectedToken, request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof HttpError) json(response, error.status, { error: error.message });
      else if (error instanceof ConvergentError) {
        json(response, statusOf(error), { error: error.message, code: error.code });
      } else json(response, 500, { error: "internal error" });
    });
  };
}
