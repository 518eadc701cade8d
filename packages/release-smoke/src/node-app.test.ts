import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, inject, test } from "vitest";
import { EXPECTED_SCENARIO } from "./expected-scenario.js";
import { WORKSPACE_ROOT } from "./workspace.mjs";

const { app, packed } = inject("smoke");

function run(command: string, args: string[], timeout = 60_000) {
  const result = spawnSync(command, args, {
    cwd: app,
    encoding: "utf8",
    timeout,
    // pnpm's bin shims (vitest runs through one) set NODE_PATH to the workspace's store, where
    // the app would find packages it never installed.
    env: { ...process.env, NODE_PATH: undefined },
  });
  return { ...result, output: `${result.stdout}\n${result.stderr}` };
}

test("the app sits outside the workspace and installed one copy of each tarball", () => {
  expect(app.startsWith(WORKSPACE_ROOT)).toBe(false);
  for (const { name, version } of packed) {
    const installed = JSON.parse(
      readFileSync(join(app, "node_modules", name, "package.json"), "utf8"),
    );
    expect(installed.version).toBe(version);
    // A nested copy of a Convergent package would give two classes for one error.
    expect(existsSync(join(app, "node_modules", name, "node_modules", "@convergent"))).toBe(false);
  }
  expect(readdirSync(join(app, "node_modules", "@convergent")).length).toBe(packed.length);
});

test("a plain Node ESM app uses every package and gets the documented results", () => {
  const result = run(process.execPath, ["node-consumer.mjs"]);
  expect(result.status, result.output).toBe(0);
  const report = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "null");
  expect(report).toEqual({
    ...EXPECTED_SCENARIO,
    websocket: "hub says hello",
    deepImport: "ERR_PACKAGE_PATH_NOT_EXPORTED",
  });
});

test("a strict NodeNext TypeScript consumer type-checks against the installed declarations", () => {
  const config = {
    compilerOptions: {
      module: "NodeNext",
      moduleResolution: "NodeNext",
      target: "ES2022",
      strict: true,
      noEmit: true,
      // Check the shipped .d.ts files too: a declaration that names an undeclared package
      // (say, types from a devDependency) breaks every consumer that does not skip them.
      skipLibCheck: false,
      types: ["node"],
    },
    files: ["consumer.ts"],
  };
  writeFileSync(join(app, "tsconfig.json"), JSON.stringify(config, null, 2));
  const tsc = join(WORKSPACE_ROOT, "node_modules", "typescript", "bin", "tsc");
  const result = run(process.execPath, [tsc, "-p", "tsconfig.json"]);
  expect(result.output.trim()).toBe("");
  expect(result.status).toBe(0);
});

test("a CommonJS app requires every package and gets the documented results", () => {
  // Node 20.19+ loads ESM with require(); the `default` export condition lets it resolve.
  const names = packed.map(({ name }) => name);
  writeFileSync(
    join(app, "cjs-consumer.cjs"),
    `"use strict";
const names = ${JSON.stringify(names)};
const loaded = names.filter((name) => Object.keys(require(name)).length > 0);
const { replicaId } = require("@convergent/clocks");
const { gCounter, increment } = require("@convergent/g-counter");
const { orSet, add } = require("@convergent/or-set");
const a = replicaId("a");
let counter = gCounter.empty();
counter = gCounter.join(counter, increment(counter, a, 3));
let set = orSet.empty();
set = orSet.join(set, add(set, a, "apple"));
console.log(JSON.stringify({ loaded: loaded.length, counter: gCounter.value(counter), set: [...orSet.value(set)] }));
`,
  );
  const result = run(process.execPath, ["cjs-consumer.cjs"]);
  expect(result.status, result.output).toBe(0);
  expect(JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "null")).toEqual({
    loaded: names.length,
    counter: 3,
    set: ["apple"],
  });
});

/** The CommonJS form of fixtures/exit-after-close.mjs. */
const EXIT_AFTER_CLOSE_CJS = `"use strict";
const { replicaId } = require("@convergent/clocks");
const { createReplica, memoryStorage } = require("@convergent/replicated-store");
const { listenWebSocketServer, nodeWebSocketClient } = require("@convergent/sync/websocket-node");
(async () => {
  const server = await listenWebSocketServer({ localId: replicaId("hub"), port: 0 });
  const connected = new Promise((resolve) => server.onPeerConnected(resolve));
  const transport = nodeWebSocketClient({ localId: replicaId("laptop"), url: server.url() });
  const replica = await createReplica({ id: "laptop", transport, storage: memoryStorage() });
  const peer = await connected;
  await replica.counter("likes").increment(2);
  const likes = await replica.counter("likes").value();
  await replica.close();
  await server.close();
  console.log(JSON.stringify({ peer, likes: likes.value }));
})();
`;

test.each([
  ["ESM", "exit-after-close.mjs"],
  ["CommonJS", "exit-after-close.cjs"],
])(
  "a Node %s app with a WebSocket replica exits by itself after replica.close()",
  (_kind, file) => {
    if (file.endsWith(".cjs")) writeFileSync(join(app, file), EXIT_AFTER_CLOSE_CJS);
    const started = performance.now();
    // The timeout kills a process that would hang on an open socket or timer.
    const result = run(process.execPath, [file], 10_000);
    const elapsed = performance.now() - started;
    expect(result.signal, `still running after 10 s:\n${result.output}`).toBeNull();
    expect(result.status, result.output).toBe(0);
    expect(JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "null")).toEqual({
      peer: "laptop",
      likes: 2,
    });
    expect(elapsed).toBeLessThan(5_000);
  },
);
