/**
 * The convergence timeline (SVG, last minute, now on the right): one row per replica with a
 * filled dot for each of its own edits and a small tick for each remote update it applied, a
 * bottom row that is green while every replica holds the same state and amber while they
 * differ, and grey bands while the network was partitioned.
 */
import { type History, WINDOW_MS } from "../history.js";
import { escapeHtml, replicaColor } from "./html.js";

const WIDTH = 900;
const ROW = 26;
const LABEL = 80;

export function timelineSvg(history: History, replicas: readonly string[]): string {
  const now = history.now();
  const x = (atMs: number) =>
    LABEL + ((atMs - (now - WINDOW_MS)) / WINDOW_MS) * (WIDTH - LABEL - 10);
  const clusterY = replicas.length * ROW + 4;
  const height = clusterY + ROW + 18;
  const parts: string[] = [];
  // Partition bands and convergence segments, from consecutive samples.
  const samples = history.cluster;
  for (let i = 0; i + 1 < samples.length; i++) {
    const s = samples[i];
    const next = samples[i + 1];
    if (s === undefined || next === undefined) continue;
    const x0 = x(s.atMs);
    const w = Math.max(0.5, x(next.atMs) - x0);
    if (s.partitioned) {
      parts.push(
        `<rect x="${x0}" y="0" width="${w}" height="${clusterY + ROW}" class="partition"/>`,
      );
    }
    parts.push(
      `<rect x="${x0}" y="${clusterY + 4}" width="${w}" height="${ROW - 8}" class="${s.converged ? "converged" : "diverged"}"/>`,
    );
  }
  replicas.forEach((replica, row) => {
    const y = row * ROW + ROW / 2;
    const color = replicaColor(replica);
    parts.push(
      `<text x="4" y="${y + 4}" class="label">${escapeHtml(replica)}</text>`,
      `<line x1="${LABEL}" x2="${WIDTH - 10}" y1="${y}" y2="${y}" class="row"/>`,
    );
    for (const change of history.changes) {
      if (change.replica !== replica) continue;
      const cx = x(change.atMs);
      parts.push(
        change.origin === "local"
          ? `<circle cx="${cx}" cy="${y}" r="5" fill="${color}"><title>local edit</title></circle>`
          : `<line x1="${cx}" x2="${cx}" y1="${y - 6}" y2="${y + 6}" stroke="${color}" class="tick"/>`,
      );
    }
  });
  parts.push(`<text x="4" y="${clusterY + ROW / 2 + 4}" class="label">converged?</text>`);
  for (let s = 0; s <= 60; s += 10) {
    const tx = x(now - s * 1000);
    parts.push(
      `<text x="${tx}" y="${height - 4}" class="axis">${s === 0 ? "now" : `-${s}s`}</text>`,
    );
  }
  return `<svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="convergence timeline">${parts.join("")}</svg>`;
}
