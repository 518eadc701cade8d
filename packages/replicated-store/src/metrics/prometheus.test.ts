import { replicaId } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import { expect, test } from "vitest";
import { escapeLabelValue, toPrometheus } from "./prometheus.js";
import { createMetrics } from "./recorder.js";

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

interface Parsed {
  readonly help: Map<string, string>;
  readonly types: Map<string, string>;
  readonly samples: Sample[];
}

/** A strict reader of the text format: fails on any line it does not understand. */
function parse(text: string): Parsed {
  expect(text.endsWith("\n")).toBe(true);
  const help = new Map<string, string>();
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.slice(0, -1).split("\n")) {
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment !== null) {
      const [, kind, name, rest] = comment as unknown as [string, string, string, string];
      const map = kind === "HELP" ? help : types;
      expect(map.has(name), `duplicate ${kind} for ${name}`).toBe(false);
      if (kind === "TYPE") expect(help.has(name), `TYPE before HELP for ${name}`).toBe(true);
      map.set(name, rest);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(sample, `unparseable line: ${line}`).not.toBeNull();
    const [, name, rawLabels, rawValue] = sample as unknown as [
      string,
      string,
      string | undefined,
      string,
    ];
    const labels: Record<string, string> = {};
    if (rawLabels !== undefined) {
      const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/y;
      let rest = rawLabels;
      while (rest.length > 0) {
        pair.lastIndex = 0;
        const match = pair.exec(rest);
        expect(match, `bad labels: ${rawLabels}`).not.toBeNull();
        const [whole, key, escaped] = match as unknown as [string, string, string];
        labels[key] = escaped.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
        rest = rest.slice(whole.length);
      }
    }
    const value =
      rawValue === "NaN" ? Number.NaN : rawValue === "+Inf" ? Infinity : Number(rawValue);
    expect(Number.isNaN(value) && rawValue !== "NaN", `bad value: ${rawValue}`).toBe(false);
    samples.push({ name, labels, value });
  }
  return { help, types, samples };
}

function familyOf(sample: string, types: Map<string, string>): string {
  if (types.has(sample)) return sample;
  const base = sample.replace(/_(sum|count)$/, "");
  expect(types.get(base), `no TYPE for ${sample}`).toBe("summary");
  return base;
}

function populated() {
  let t = 1_700_000_000_000;
  const metrics = createMetrics({ maxLagMs: 2_000, now: () => t });
  const tricky = replicaId('we"ird\\peer');
  const plain = replicaId("node-b");
  metrics.read({ key: "k", stale: false, latencyMs: 2 });
  metrics.read({ key: "k", stale: true, latencyMs: 4 });
  metrics.write({ key: "k", level: "quorum", latencyMs: 30 });
  metrics.write({ key: "k", level: "two\nlines", latencyMs: 30 });
  metrics.applied({ origin: plain, key: "k", lagMs: 120 });
  metrics.applied({ origin: tricky, key: "k", lagMs: 80 });
  metrics.conflict({ key: "k", kind: "siblings" });
  metrics.traffic({ peer: tricky, direction: "in", bytes: 64 });
  metrics.traffic({ peer: plain, direction: "out", bytes: 128 });
  metrics.synced({ peer: plain, atMs: t });
  t += 500;
  return { metrics, tricky, plain };
}

test("the exposition parses back: HELP and TYPE per family, escaped labels, the values", () => {
  const { metrics, tricky, plain } = populated();
  const text = toPrometheus(metrics.snapshot(), { labels: { replica: "node-a" } });
  const { types, samples } = parse(text);

  for (const [name, type] of types) {
    expect(["counter", "gauge", "summary"]).toContain(type);
    if (type === "counter") expect(name.endsWith("_total")).toBe(true);
  }
  for (const sample of samples) {
    familyOf(sample.name, types);
    expect(sample.labels.replica).toBe("node-a");
  }
  const find = (name: string, labels: Record<string, string> = {}) =>
    samples.filter(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );

  expect(find("convergent_reads_total")[0]?.value).toBe(2);
  expect(find("convergent_stale_reads_total")[0]?.value).toBe(1);
  expect(find("convergent_read_staleness_percent")[0]?.value).toBe(50);
  expect(find("convergent_writes_total", { level: "quorum" })[0]?.value).toBe(1);
  expect(find("convergent_conflicts_total", { kind: "siblings" })[0]?.value).toBe(1);
  expect(find("convergent_conflicts_total", { kind: "lww-overwrite" })[0]?.value).toBe(0);
  expect(find("convergent_peer_bytes_total", { peer: tricky, direction: "in" })[0]?.value).toBe(64);
  expect(find("convergent_peer_bytes_total", { peer: plain, direction: "out" })[0]?.value).toBe(
    128,
  );
  expect(find("convergent_peer_messages_total", { peer: plain, direction: "out" })[0]?.value).toBe(
    1,
  );
  expect(find("convergent_peer_last_sync_timestamp_seconds", { peer: plain })[0]?.value).toBe(
    1_700_000_000,
  );
  expect(find("convergent_peer_sync_age_seconds", { peer: plain })[0]?.value).toBe(0.5);
  expect(find("convergent_max_lag_seconds")[0]?.value).toBe(2);
  expect(find("convergent_healthy")[0]?.value).toBe(1);

  const lag = find("convergent_replication_lag_by_origin_seconds", { origin: tricky });
  expect(lag.map((s) => s.labels.quantile)).toEqual(["0.5", "0.99"]);
  expect(Math.abs(lag[0]!.value - 0.08)).toBeLessThanOrEqual(0.08 * 0.01);
  expect(find("convergent_replication_lag_seconds_count")[0]?.value).toBe(2);
  expect(find("convergent_replication_lag_seconds_sum")[0]?.value).toBeCloseTo(0.2, 9);
  expect(find("convergent_read_latency_seconds_sum")[0]?.value).toBeCloseTo(0.006, 9);
});

test("an empty window gives NaN quantiles, as summaries do", () => {
  const metrics = createMetrics({ maxLagMs: 1_000 });
  const { samples } = parse(toPrometheus(metrics.snapshot()));
  const p99 = samples.find(
    (s) => s.name === "convergent_write_latency_seconds" && s.labels.quantile === "0.99",
  );
  expect(p99?.value).toBeNaN();
  expect(samples.find((s) => s.name === "convergent_write_latency_seconds_count")?.value).toBe(0);
});

test("label values escape backslash, quote and line feed", () => {
  expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  const { tricky, metrics } = populated();
  const text = toPrometheus(metrics.snapshot());
  expect(text).toContain('peer="we\\"ird\\\\peer"');
  expect(text).toContain('level="two\\nlines"');
  const { samples } = parse(text);
  expect(samples.some((s) => s.labels.peer === tricky)).toBe(true);
  expect(samples.some((s) => s.labels.level === "two\nlines")).toBe(true);
});

test("a custom prefix renames every family; bad prefixes and label names are refused", () => {
  const metrics = createMetrics({ maxLagMs: 1_000 });
  const text = toPrometheus(metrics.snapshot(), { prefix: "app_store" });
  const { types } = parse(text);
  expect([...types.keys()].every((name) => name.startsWith("app_store_"))).toBe(true);
  expect(() => toPrometheus(metrics.snapshot(), { prefix: "9bad" })).toThrow(InvalidArgumentError);
  for (const name of ["quantile", "__x", "bad-name"]) {
    expect(() => toPrometheus(metrics.snapshot(), { labels: { [name]: "v" } })).toThrow(
      InvalidArgumentError,
    );
  }
});
