/**
 * The replication-lag chart (canvas, last minute): each replica's p99 lag from its metrics (the
 * origin's HLC write time to the apply time here, over the metrics' sliding window), one line
 * per replica, so a partition shows as lines climbing after the heal and settling again.
 */
import { type History, WINDOW_MS } from "../history.js";
import { replicaColor } from "./html.js";

export function drawLagChart(
  canvas: HTMLCanvasElement,
  history: History,
  replicas: readonly string[],
): void {
  const ratio = globalThis.devicePixelRatio || 1;
  const width = canvas.clientWidth || 900;
  const height = canvas.clientHeight || 200;
  if (canvas.width !== width * ratio) canvas.width = width * ratio;
  if (canvas.height !== height * ratio) canvas.height = height * ratio;
  const g = canvas.getContext("2d");
  if (g === null) return;
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const left = 56;
  const bottom = height - 20;
  const now = history.now();
  let max = 100;
  for (const sample of history.lag)
    for (const v of sample.p99ByReplica.values()) max = Math.max(max, v);
  max = niceCeiling(max);
  const x = (atMs: number) => left + ((atMs - (now - WINDOW_MS)) / WINDOW_MS) * (width - left - 10);
  const y = (lagMs: number) => bottom - (lagMs / max) * (bottom - 10);
  g.font = "11px system-ui, sans-serif";
  g.strokeStyle = "#ddd";
  g.fillStyle = "#666";
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    g.beginPath();
    g.moveTo(left, y(v));
    g.lineTo(width - 10, y(v));
    g.stroke();
    g.fillText(`${Math.round(v)} ms`, 4, y(v) + 4);
  }
  for (let s = 0; s <= 60; s += 10)
    g.fillText(s === 0 ? "now" : `-${s}s`, x(now - s * 1000) - 10, height - 4);
  g.lineWidth = 2;
  replicas.forEach((replica, i) => {
    g.strokeStyle = replicaColor(replica);
    g.beginPath();
    let drawing = false;
    for (const sample of history.lag) {
      const v = sample.p99ByReplica.get(replica);
      if (v === undefined) {
        drawing = false;
        continue;
      }
      if (drawing) g.lineTo(x(sample.atMs), y(v));
      else g.moveTo(x(sample.atMs), y(v));
      drawing = true;
    }
    g.stroke();
    g.fillStyle = replicaColor(replica);
    g.fillText(`— ${replica}`, left + 10 + i * 110, 12);
  });
  g.lineWidth = 1;
}

function niceCeiling(value: number): number {
  const step = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}
