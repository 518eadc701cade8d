/**
 * Renders a metrics snapshot in the Prometheus text exposition format, version 0.0.4 (HELP and
 * TYPE per family, then samples). Times are in seconds, the Prometheus base unit, although the
 * snapshot uses ms. Summaries follow the client-library convention: `quantile` samples over the
 * sliding window (NaN when it is empty), `_sum` and `_count` since start, so an average over any
 * range is `rate(x_sum[5m]) / rate(x_count[5m])`.
 */
import { InvalidArgumentError } from "@convergent/core";
import { healthOf } from "./health.js";
import type { MetricsSnapshot } from "./snapshot.js";
import type { SummarySnapshot } from "./windowed-summary.js";

/** The Content-Type to serve `toPrometheus` output with. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export interface PrometheusOptions {
  /** Prefix of every metric name. Default "convergent". */
  readonly prefix?: string;
  /** Labels added to every sample, e.g. `{ replica: "eu-1" }`. */
  readonly labels?: Readonly<Record<string, string>>;
}

type Labels = readonly (readonly [string, string])[];

interface Family {
  readonly name: string;
  readonly type: "counter" | "gauge" | "summary";
  readonly help: string;
  readonly samples: readonly {
    readonly suffix?: string;
    readonly labels: Labels;
    readonly value: number;
  }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Escapes a label value: backslash, double quote and line feed, as the format requires. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function seconds(ms: number | undefined): number {
  return ms === undefined ? Number.NaN : ms / 1000;
}

function summarySamples(summary: SummarySnapshot, labels: Labels): Family["samples"] {
  return [
    { labels: [...labels, ["quantile", "0.5"]], value: seconds(summary.recent.p50Ms) },
    { labels: [...labels, ["quantile", "0.99"]], value: seconds(summary.recent.p99Ms) },
    { suffix: "_sum", labels, value: summary.sumMs / 1000 },
    { suffix: "_count", labels, value: summary.count },
  ];
}

function pushFamilies(s: MetricsSnapshot): Family[] {
  const p = s.pushes;
  if (p === undefined) return [];
  const counter = (name: string, help: string, value: number): Family => ({
    name,
    type: "counter",
    help,
    samples: [{ labels: [], value }],
  });
  return [
    counter("pushes_sent_total", "Push frames sent since start.", p.pushesSent),
    counter("pushes_received_total", "Push frames received since start.", p.pushesReceived),
    counter(
      "deltas_relayed_total",
      "Deltas forwarded to other peers after applying them, since start.",
      p.deltasRelayed,
    ),
    counter(
      "delta_gaps_total",
      "Pushed deltas refused because an earlier update of their key had not arrived.",
      p.deltaGaps,
    ),
  ];
}

function families(s: MetricsSnapshot): Family[] {
  const health = healthOf(s);
  return [
    {
      name: "reads_total",
      type: "counter",
      help: "Reads served by this replica.",
      samples: [{ labels: [], value: s.reads.total }],
    },
    {
      name: "stale_reads_total",
      type: "counter",
      help: "Reads that returned a value known to be behind another replica.",
      samples: [{ labels: [], value: s.reads.stale }],
    },
    {
      name: "read_staleness_percent",
      type: "gauge",
      help: "Stale reads as a percentage of all reads since start.",
      samples: [{ labels: [], value: s.reads.stalenessPercent }],
    },
    {
      name: "read_latency_seconds",
      type: "summary",
      help: "Read latency; quantiles over the recent window.",
      samples: summarySamples(s.readLatency, []),
    },
    {
      name: "writes_total",
      type: "counter",
      help: "Writes issued at this replica, by consistency level.",
      samples: s.writes.byLevel.map(({ level, count }) => ({
        labels: [["level", level]],
        value: count,
      })),
    },
    {
      name: "write_latency_seconds",
      type: "summary",
      help: "Write latency until the consistency level was met; quantiles over the recent window.",
      samples: summarySamples(s.writeLatency, []),
    },
    {
      name: "replication_lag_seconds",
      type: "summary",
      help: "Write time at the origin (HLC) to apply time here, all origins.",
      samples: summarySamples(s.replicationLag, []),
    },
    {
      name: "replication_lag_by_origin_seconds",
      type: "summary",
      help: "Replication lag per origin replica.",
      samples: s.replicationLagByOrigin.flatMap((o) => summarySamples(o, [["origin", o.origin]])),
    },
    {
      name: "conflicts_total",
      type: "counter",
      help: "Conflicts detected: siblings created, concurrent LWW overwrites.",
      samples: (["siblings", "lww-overwrite"] as const).map((kind) => ({
        labels: [["kind", kind]],
        value: s.conflicts[kind],
      })),
    },
    {
      name: "peer_bytes_total",
      type: "counter",
      help: "Sync bytes exchanged with each peer.",
      samples: s.peers.flatMap((p) => [
        {
          labels: [
            ["peer", p.peer],
            ["direction", "in"],
          ],
          value: p.bytesIn,
        },
        {
          labels: [
            ["peer", p.peer],
            ["direction", "out"],
          ],
          value: p.bytesOut,
        },
      ]),
    },
    {
      name: "frames_rejected_since_start_total",
      type: "counter",
      help: "Frames rejected from any peer since start (departed peers included).",
      samples: [{ labels: [], value: s.framesRejectedTotal }],
    },
    ...pushFamilies(s),
    {
      name: "messages_in_since_start_total",
      type: "counter",
      help: "Sync messages received from any peer since start (departed peers included).",
      samples: [{ labels: [], value: s.messagesInTotal }],
    },
    {
      name: "rejected_frames_total",
      type: "counter",
      help: "Frames from each peer rejected without being applied (bad bytes, limits, validation).",
      samples: s.peers.map((p) => ({ labels: [["peer", p.peer]], value: p.framesRejected })),
    },
    {
      name: "peer_messages_total",
      type: "counter",
      help: "Sync messages exchanged with each peer.",
      samples: s.peers.flatMap((p) => [
        {
          labels: [
            ["peer", p.peer],
            ["direction", "in"],
          ],
          value: p.messagesIn,
        },
        {
          labels: [
            ["peer", p.peer],
            ["direction", "out"],
          ],
          value: p.messagesOut,
        },
      ]),
    },
    {
      name: "peer_last_sync_timestamp_seconds",
      type: "gauge",
      help: "Unix time of the last successful sync with each peer.",
      samples: s.peers.flatMap((p) =>
        p.lastSyncAtMs === undefined
          ? []
          : [{ labels: [["peer", p.peer]], value: p.lastSyncAtMs / 1000 }],
      ),
    },
    {
      name: "peer_sync_age_seconds",
      type: "gauge",
      help: "Time since the last successful sync with each peer (since first seen if none).",
      samples: s.peers.map((p) => ({
        labels: [["peer", p.peer]],
        value: (s.atMs - (p.lastSyncAtMs ?? p.firstSeenAtMs)) / 1000,
      })),
    },
    {
      name: "max_lag_seconds",
      type: "gauge",
      help: "The configured divergence window (maxLagMs).",
      samples: [{ labels: [], value: s.maxLagMs / 1000 }],
    },
    {
      name: "healthy",
      type: "gauge",
      help: "1 when lag p99 and every peer's sync age are within the divergence window, else 0.",
      samples: [{ labels: [], value: health.healthy ? 1 : 0 }],
    },
  ];
}

function renderLabels(labels: Labels): string {
  if (labels.length === 0) return "";
  return `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

/** The snapshot as Prometheus text; ends with a line feed. */
export function toPrometheus(snapshot: MetricsSnapshot, options: PrometheusOptions = {}): string {
  const prefix = options.prefix ?? "convergent";
  if (!NAME.test(`${prefix}_x`))
    throw new InvalidArgumentError(`invalid metric name prefix: ${prefix}`);
  const constant: [string, string][] = Object.entries(options.labels ?? {}).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  for (const [name] of constant) {
    if (!LABEL.test(name) || name.startsWith("__") || name === "quantile") {
      throw new InvalidArgumentError(`invalid label name: ${name}`);
    }
  }
  const lines: string[] = [];
  for (const family of families(snapshot)) {
    const name = `${prefix}_${family.name}`;
    lines.push(`# HELP ${name} ${escapeHelp(family.help)}`, `# TYPE ${name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = renderLabels([...constant, ...sample.labels]);
      lines.push(`${name}${sample.suffix ?? ""}${labels} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
