import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { parseCommand, UsageError } from "./args.js";
import { openDataDir } from "./data-dir.js";

const base = ["serve", "--id", "eu-1", "--port", "7000", "--data", "/var/lib/convergent"];

function usageError(argv: string[]): string {
  try {
    parseCommand(argv, {});
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as UsageError).message;
  }
  throw new Error(`accepted ${argv.join(" ")}`);
}

test("a full command line parses into a config with defaults", () => {
  expect(parseCommand(base, {})).toEqual({
    kind: "serve",
    config: {
      id: "eu-1",
      port: 7000,
      host: "127.0.0.1",
      peers: [],
      members: [],
      data: "/var/lib/convergent",
      maxLagMs: 30_000,
      syncPath: "/sync",
      debug: false,
      clusterSecret: undefined,
      insecure: false,
      tls: undefined,
      tlsCa: undefined,
      httpToken: undefined,
    },
  });
  const parsed = parseCommand([
    ...base,
    "--peers",
    "eu-2=ws://10.0.0.2:7000/sync, eu-3=wss://eu-3.example.com/sync",
    "--members",
    "eu-4",
    "--host",
    "0.0.0.0",
    "--insecure",
    "--max-lag-ms",
    "5000",
    "--sync-path",
    "/replicate",
    "--debug",
  ]);
  expect(parsed.kind === "serve" && parsed.config).toMatchObject({
    peers: [
      { id: "eu-2", url: "ws://10.0.0.2:7000/sync" },
      { id: "eu-3", url: "wss://eu-3.example.com/sync" },
    ],
    members: ["eu-2", "eu-3", "eu-4"],
    host: "0.0.0.0",
    insecure: true,
    maxLagMs: 5000,
    syncPath: "/replicate",
    debug: true,
  });
  expect(parseCommand(["serve", "--port", "0", "--id", "x", "--data", "d"]).kind).toBe("serve");
});

test("help is a command, not an error", () => {
  expect(parseCommand(["--help"])).toEqual({ kind: "help" });
  expect(parseCommand(["serve", "-h"])).toEqual({ kind: "help" });
});

test("each mistake names the flag and what it wants", () => {
  expect(usageError([])).toMatch(/missing command/);
  expect(usageError(["start"])).toMatch(/unknown command "start"/);
  expect(usageError(["serve", "--port", "1", "--data", "d"])).toBe("--id is required");
  expect(usageError(["serve", "--id", "a", "--data", "d"])).toBe("--port is required");
  expect(usageError(["serve", "--id", "a", "--port", "1"])).toBe("--data is required");
  expect(usageError(["serve", "--id", "", "--port", "1", "--data", "d"])).toBe("--id is required");
  expect(usageError(["serve", "--id", "a".repeat(65), "--port", "1", "--data", "d"])).toMatch(
    /^--id: /,
  );
  expect(usageError(["serve", "--id", "a", "--port=-1", "--data", "d"])).toBe(
    '--port must be an integer from 0 to 65535, got "-1"',
  );
  expect(usageError(["serve", "--id", "a", "--port", "-1", "--data", "d"])).toMatch(/--port/);
  for (const port of ["65536", "80.5", "http", "1e3", " 1"]) {
    expect(usageError(["serve", "--id", "a", "--port", port, "--data", "d"])).toBe(
      `--port must be an integer from 0 to 65535, got "${port}"`,
    );
  }
  expect(usageError([...base, "--peers", "b=http://x:1/sync"])).toMatch(/must start with ws:\/\//);
  expect(usageError([...base, "--peers", "b=not a url"])).toMatch(/is not a URL/);
  expect(usageError([...base, "--peers", "b=ws://a:1/sync,b=ws://c:1/sync"])).toMatch(/twice/);
  expect(usageError([...base, "--peers", "b=ws://a:1/sync", "--members", "b"])).toMatch(/twice/);
  expect(usageError([...base, "--members", "eu-1"])).toMatch(/own id/);
  expect(usageError([...base, "--peers", "=ws://a:1/sync"])).toMatch(/id=url/);
  expect(usageError([...base, "--max-lag-ms", "0"])).toMatch(/--max-lag-ms must be an integer/);
  expect(usageError([...base, "--sync-path", "/metrics"])).toMatch(/--sync-path/);
  expect(usageError([...base, "--sync-path", "sync"])).toMatch(/--sync-path/);
  expect(usageError([...base, "--verbose"])).toMatch(/verbose/);
  expect(usageError([...base, "extra"])).toMatch(/extra/);
});

test("the old plain-URL --peers form is refused with the new form in the message (item 11)", () => {
  for (const old of ["ws://10.0.0.2:7000/sync", "WSS://eu-2.example.com/sync"]) {
    const message = usageError([...base, "--peers", old]);
    expect(message).toMatch(/names no member id/);
    expect(message).toContain("--peers id=ws://host:port/sync");
  }
});

function tempFile(name: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), "convergent-args-"));
  dirs.push(dir);
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

test("secure by default: beyond loopback needs a cluster secret or --insecure", () => {
  for (const host of ["0.0.0.0", "::", "10.0.0.5", "example.com"]) {
    const message = usageError([...base, "--host", host]);
    expect(message).toMatch(/refusing to listen on .* without a cluster secret/);
    expect(message).toMatch(/--cluster-secret-file/);
    expect(message).toMatch(/--insecure/);
  }
  for (const host of ["127.0.0.1", "127.0.0.2", "::1", "localhost", "[::1]"]) {
    expect(parseCommand([...base, "--host", host], {}).kind).toBe("serve");
  }
  const insecure = parseCommand([...base, "--host", "0.0.0.0", "--insecure"], {});
  expect(insecure.kind === "serve" && insecure.config.insecure).toBe(true);
});

test("the cluster secret comes from the file (which wins) or the environment, at least 32 bytes, never echoed", () => {
  const good = "f".repeat(40);
  const file = tempFile("secret", `${good}\n`);
  const fromFile = parseCommand([...base, "--host", "0.0.0.0", "--cluster-secret-file", file], {
    CONVERGENT_CLUSTER_SECRET: "e".repeat(40),
  });
  expect(fromFile.kind === "serve" && new TextDecoder().decode(fromFile.config.clusterSecret)).toBe(
    good,
  );
  const fromEnv = parseCommand([...base, "--host", "0.0.0.0"], {
    CONVERGENT_CLUSTER_SECRET: "e".repeat(40),
  });
  expect(fromEnv.kind === "serve" && fromEnv.config.clusterSecret?.length).toBe(40);
  const short = "s".repeat(31);
  const tooShort = usageError([...base, "--cluster-secret-file", tempFile("short", short)]);
  expect(tooShort).toMatch(/31 bytes; it must be at least 32/);
  expect(tooShort).not.toContain(short);
  expect(
    (() => {
      try {
        parseCommand(base, { CONVERGENT_CLUSTER_SECRET: short });
      } catch (error) {
        return (error as Error).message;
      }
      return "";
    })(),
  ).toMatch(/CONVERGENT_CLUSTER_SECRET is 31 bytes/);
  expect(usageError([...base, "--cluster-secret-file", "/nonexistent/secret"])).toMatch(
    /cannot read "\/nonexistent\/secret" \(ENOENT\)/,
  );
});

test("TLS files go together; the HTTP token file needs a real token", () => {
  const cert = tempFile("cert.pem", "CERT");
  expect(usageError([...base, "--tls-cert", cert])).toMatch(/--tls-cert and --tls-key go together/);
  const tls = parseCommand([...base, "--tls-cert", cert, "--tls-key", cert, "--tls-ca", cert], {});
  expect(tls.kind === "serve" && tls.config.tls?.cert.toString()).toBe("CERT");
  expect(tls.kind === "serve" && tls.config.tlsCa?.toString()).toBe("CERT");
  expect(usageError([...base, "--http-token-file", tempFile("t", "short")])).toMatch(/16/);
  const token = parseCommand(
    [...base, "--http-token-file", tempFile("t", "a".repeat(20) + "\n")],
    {},
  );
  expect(token.kind === "serve" && token.config.httpToken).toBe("a".repeat(20));
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

test("a data directory is locked: a second open fails until the first is released", () => {
  const dir = mkdtempSync(join(tmpdir(), "convergent-lock-"));
  dirs.push(dir);
  const first = openDataDir(join(dir, "replica"));
  expect(first.database).toBe(join(dir, "replica", "replica.db"));
  expect(() => openDataDir(join(dir, "replica"))).toThrow(/already open in this process/);
  first.release();
  first.release();
  openDataDir(join(dir, "replica")).release();
});

test("a lock left by a live process is refused; one left by a dead process is taken over", () => {
  const dir = mkdtempSync(join(tmpdir(), "convergent-lock-"));
  dirs.push(dir);
  // The parent of this test runner is alive and is not us.
  writeFileSync(join(dir, "LOCK"), `${process.ppid}\n`);
  expect(() => openDataDir(dir)).toThrow(/in use by process/);
  writeFileSync(join(dir, "LOCK"), "2147483646\n");
  openDataDir(dir).release();
  writeFileSync(join(dir, "LOCK"), "garbage");
  openDataDir(dir).release();
});
