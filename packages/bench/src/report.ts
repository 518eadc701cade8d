import type { Result } from "./harness.js";

const UNIT_DIGITS: Record<string, number> = {
  "ops/s": 0,
  ns: 1,
  ms: 2,
  bytes: 0,
  "bytes/element": 1,
  ratio: 2,
  "MB/s": 1,
};

export function formatValue(value: number, unit: string): string {
  const digits = UNIT_DIGITS[unit] ?? 2;
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** One Markdown table per suite: a row per workload and metric, a column per implementation. */
export function toMarkdown(results: readonly Result[]): string {
  const out: string[] = [];
  for (const suite of unique(results.map((r) => r.suite))) {
    const rows = results.filter((r) => r.suite === suite);
    const implementations = unique(rows.map((r) => r.implementation));
    out.push(`### ${suite}`, "", `| workload | metric | ${implementations.join(" | ")} |`);
    out.push(`|---|---|${implementations.map(() => "---:").join("|")}|`);
    for (const key of unique(rows.map((r) => `${r.workload}\u0000${r.metric}`))) {
      const [workload, metric] = key.split("\u0000") as [string, string];
      const cells = implementations.map((impl) => {
        const r = rows.find(
          (x) => x.workload === workload && x.metric === metric && x.implementation === impl,
        );
        return r === undefined ? "" : `${formatValue(r.value, r.unit)} ${r.unit}`;
      });
      out.push(`| ${workload} | ${metric} | ${cells.join(" | ")} |`);
    }
    out.push("");
  }
  return out.join("\n");
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
