/**
 * End-to-end in real Chromium: the built app served on 127.0.0.1, a `convergent serve` node
 * started in-process, and pages that edit concurrently and must converge through the server;
 * then a reload with the server gone must bring the tab's state back from IndexedDB alone.
 * Fails (does not skip) when Chromium is missing: CI must install it.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCommand, type RunningServer, startServer } from "@convergent/replicated-store/node";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { build, type PreviewServer, preview } from "vite";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const root = fileURLToPath(new URL("..", import.meta.url));

let temp: string;
let server: RunningServer | undefined;
let site: PreviewServer | undefined;
let browser: Browser | undefined;
let baseUrl: string;

async function startHub(): Promise<RunningServer> {
  const command = parseCommand([
    "serve",
    "--id",
    "hub",
    "--port",
    "0",
    "--data",
    join(temp, "hub"),
  ]);
  if (command.kind !== "serve") throw new Error("expected a serve command");
  return startServer(command.config);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`,
    );
  }
  temp = await mkdtemp(join(tmpdir(), "convergent-web-"));
  const outDir = join(temp, "site");
  const [hub] = await Promise.all([
    startHub(),
    build({ root, configFile: false, logLevel: "warn", build: { outDir, emptyOutDir: true } }),
  ]);
  server = hub;
  site = await preview({
    root,
    configFile: false,
    logLevel: "warn",
    build: { outDir },
    preview: { host: "127.0.0.1", port: 0, strictPort: true },
  });
  const url = site.resolvedUrls?.local[0];
  if (url === undefined) throw new Error("vite preview reported no URL");
  baseUrl = url;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await server?.close();
  if (temp !== undefined) await rm(temp, { recursive: true, force: true });
});

/** Opens the app as `replica`, in a new browser context unless one is given. */
async function open(replica: string, serverUrl: string, context?: BrowserContext): Promise<Page> {
  if (browser === undefined) throw new Error("no browser");
  const target = await (context ?? (await browser.newContext())).newPage();
  const errors: string[] = [];
  target.on("pageerror", (error) => errors.push(error.message));
  await target.goto(`${baseUrl}?replica=${replica}&server=${encodeURIComponent(serverUrl)}`);
  await target.waitForSelector("body[data-ready]", { timeout: 15_000 }).catch((error: unknown) => {
    throw new Error(`${replica} did not start: ${errors.join("; ") || String(error)}`);
  });
  return target;
}

/** The tab replica's fields as shown on the page. */
async function tabFields(page: Page): Promise<Record<string, string>> {
  return page.$$eval("#tab-card [data-field]", (nodes) =>
    Object.fromEntries(
      nodes.map((n) => [n.getAttribute("data-field") ?? "", n.textContent?.trim() ?? ""]),
    ),
  );
}

const until = async (page: Page, predicate: string, arg?: unknown) =>
  page.waitForFunction(predicate, arg, { timeout: 15_000, polling: 100 });

describe("the live view in Chromium", () => {
  test("two pages edit concurrently, converge through the server, and recover from IndexedDB", async () => {
    const hub = server?.syncUrl ?? "";
    // Separate browser contexts: no BroadcastChannel between them, so only the server connects them.
    const [left, right] = await Promise.all([open("left", hub), open("right", hub)]);
    for (const page of [left, right]) {
      await until(
        page,
        `document.querySelector('#tab-card [data-field="peers"]')?.textContent.includes("hub")`,
      );
    }

    // Concurrent: both edit while cut off, then reconnect.
    for (const page of [left, right]) await page.click("#tab-offline");
    await Promise.all([left.click("#tab-edit"), right.click("#tab-edit")]);
    for (const page of [left, right]) await page.click("#tab-offline");
    const converged = `(() => {
      const f = (n) => document.querySelector('#tab-card [data-field="' + n + '"]')?.textContent.trim();
      return f("counter") === "2" && f("tags") === "left#1, right#1" && document.querySelectorAll('#tab-card .sibling').length === 2;
    })()`;
    await Promise.all([until(left, converged), until(right, converged)]);
    const [l, r] = await Promise.all([tabFields(left), tabFields(right)]);
    expect(l.title).toBe(r.title); // LWW: both keep the same one of the two writes
    expect(["written by left (edit 1)", "written by right (edit 1)"]).toContain(l.title);
    expect(l.colors).toBe(r.colors); // MV: both keep both concurrent writes
    expect(l.colors).toContain("2 siblings");
    expect(l.vector).toBe("left:4 right:4"); // four keys edited once on each side
    expect(r.vector).toBe(l.vector);

    // The in-page cluster: partition, edit on all three, heal, converge with three siblings.
    await left.click("#sim-partition");
    await until(left, `document.querySelector("#sim-status").textContent.includes("partitioned")`);
    await left.click("#sim-edit");
    await until(left, `document.querySelector("#sim-status").textContent.includes("diverged")`);
    await left.click("#sim-heal");
    await until(
      left,
      `document.querySelector("#sim-status").textContent.includes("converged") &&
       [...document.querySelectorAll('#sim-cards [data-field="counter"]')].every((n) => n.textContent === "3") &&
       [...document.querySelectorAll('#sim-cards [data-field="colors"]')].every((n) => n.querySelectorAll(".sibling").length === 3)`,
    );
    await left.waitForTimeout(600); // let the lag chart and timeline draw the heal
    await left.screenshot({ path: join(tmpdir(), "convergent-web.png"), fullPage: true });

    // Reload with the server stopped and the other page closed: only IndexedDB can supply state.
    await right.context().close();
    await server?.close();
    await left.reload();
    await left.waitForSelector("body[data-ready]", { timeout: 15_000 });
    const recovered = await tabFields(left);
    expect(recovered.counter).toBe("2");
    expect(recovered.tags).toBe("left#1, right#1");
    expect(recovered.title).toBe(l.title);
    expect(recovered.colors).toBe(l.colors);
    // Everything seen from right came back; its own entry jumps to the dot reservation mark,
    // which a restarted replica claims so that it never reuses a dot.
    expect(recovered.vector).toMatch(/^left:\d+ right:4$/);
    expect(recovered.peers).toBe("nobody");
  }, 60_000);

  test("tabs of one browser sync over BroadcastChannel with no server at all", async () => {
    if (browser === undefined) throw new Error("no browser");
    const context = await browser.newContext();
    const nowhere = "ws://127.0.0.1:9/sync"; // refused: nothing listens on the discard port
    const [one, two] = [
      await open("tab-one", nowhere, context),
      await open("tab-two", nowhere, context),
    ];
    await until(
      one,
      `document.querySelector('#tab-card [data-field="peers"]')?.textContent === "tab-two"`,
    );
    await one.click("#tab-edit");
    await until(
      two,
      `document.querySelector('#tab-card [data-field="tags"]')?.textContent === "tab-one#1"`,
    );
    expect((await tabFields(two)).counter).toBe("1");
    // A closed tab says goodbye, so the other one drops it at once rather than after a silence.
    await one.close();
    await until(
      two,
      `document.querySelector('#tab-card [data-field="peers"]')?.textContent === "nobody"`,
    );
    await context.close();
  }, 30_000);
});
