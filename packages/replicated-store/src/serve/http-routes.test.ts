import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { PlainValue } from "@convergent/core";
import { InvalidArgumentError } from "@convergent/core";
import { KeyTypeConflictError } from "@convergent/sync";
import { afterEach, expect, test } from "vitest";
import { ConsistencyTimeoutError } from "../store/errors.js";
import type { HostedReplica } from "./hosted-replica.js";
import { httpRoutes, MAX_DEBUG_BODY_BYTES, type RouteDeps } from "./http-routes.js";

/** A replica that keeps registers in a Map; "typed" holds another type, "bad key" is invalid. */
function mapReplica(): HostedReplica & { values: Map<string, PlainValue>; levels: unknown[] } {
  const values = new Map<string, PlainValue>();
  return {
    values,
    levels: [] as unknown[],
    onRejected: () => () => {},
    pushes: () => ({ pushesSent: 0, pushesReceived: 0, deltasRelayed: 0, deltaGaps: 0 }),
    async put(key, value, level) {
      this.levels.push(level);
      if (key === "bad key") throw new InvalidArgumentError("keys may not contain spaces here");
      if (key === "typed") throw new KeyTypeConflictError(key, "or-set", "lww-register");
      if (key === "slow") {
        throw new ConsistencyTimeoutError({
          operation: "write",
          key,
          level: "all",
          required: 3,
          confirmed: [],
          timeoutMs: 10,
        });
      }
      values.set(key, value);
    },
    get: async (key) => values.get(key),
    get size() {
      return values.size;
    },
    close: async () => {},
  };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(deps: RouteDeps): Promise<string> {
  const server = createServer(httpRoutes(deps));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const healthy = () => ({ healthy: true, reasons: [] });

test("/metrics serves Prometheus text; /health answers 200 or 503 with the report", async () => {
  let report = { healthy: true, reasons: [] as string[] };
  const base = await serve({
    metricsText: () => "x_total 1\n",
    health: () => report,
    debug: undefined,
  });
  const metrics = await fetch(`${base}/metrics`);
  expect(metrics.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  expect(await metrics.text()).toBe("x_total 1\n");
  expect((await fetch(`${base}/health`)).status).toBe(200);
  report = { healthy: false, reasons: ["peer b unreachable"] };
  const sick = await fetch(`${base}/health`);
  expect(sick.status).toBe(503);
  expect(await sick.json()).toEqual(report);
  expect((await fetch(`${base}/metrics`, { method: "POST" })).status).toBe(405);
  expect((await fetch(`${base}/nope`)).status).toBe(404);
});

test("without --debug the debug endpoints do not exist", async () => {
  const base = await serve({ metricsText: () => "", health: healthy, debug: undefined });
  const response = await fetch(`${base}/debug/put?key=k`, { method: "POST", body: "1" });
  expect(response.status).toBe(404);
});

test("debug put and get round-trip JSON values and refuse bad requests", async () => {
  const replica = mapReplica();
  const base = await serve({ metricsText: () => "", health: healthy, debug: replica });
  const put = (query: string, body: string) =>
    fetch(`${base}/debug/put${query}`, { method: "POST", body });
  expect((await put("?key=k", '{"a":[1,true,null]}')).status).toBe(200);
  expect(replica.values.get("k")).toEqual({ a: [1, true, null] });
  expect((await put("?key=q&level=quorum", "2")).status).toBe(200);
  expect((await put("?key=q&level=3", "3")).status).toBe(200);
  expect(replica.levels).toEqual(["one", "quorum", 3]);
  expect((await put("?key=q&level=most", "4")).status).toBe(400);
  expect((await put("?key=q&level=0", "4")).status).toBe(400);
  expect(await (await fetch(`${base}/debug/get?key=k`)).json()).toEqual({
    key: "k",
    found: true,
    value: { a: [1, true, null] },
  });
  expect(await (await fetch(`${base}/debug/get?key=none`)).json()).toEqual({
    key: "none",
    found: false,
  });

  expect((await put("", "1")).status).toBe(400);
  expect((await put("?key=k", "{not json")).status).toBe(400);
  expect((await put("?key=k", '{"__proto__":1}')).status).toBe(400);
  expect((await put("?key=k", "x".repeat(MAX_DEBUG_BODY_BYTES + 1))).status).toBe(413);
  expect((await put("?key=bad%20key", "1")).status).toBe(400);
  const conflict = await put("?key=typed", "1");
  expect(conflict.status).toBe(409);
  expect(await conflict.json()).toMatchObject({ code: "KEY_TYPE_CONFLICT" });
  const slow = await put("?key=slow&level=all", "1");
  expect(slow.status).toBe(504);
  expect(((await slow.json()) as { error: string }).error).toMatch(/applied and durable locally/);
  expect((await fetch(`${base}/debug/put?key=k`)).status).toBe(405);
  expect((await fetch(`${base}/debug/get?key=k`, { method: "POST" })).status).toBe(405);
  expect((await fetch(`${base}/debug/other`)).status).toBe(404);
  expect([...replica.values.keys()]).toEqual(["k", "q"]);
});
