/**
 * One replica as a card: the four demo keys (with MV-Register siblings called out), the version
 * vector, the connected peers and the live metrics. Fields carry `data-field` so the end-to-end
 * tests read exactly what a user sees.
 */
import type { MetricsSnapshot } from "@convergent/replicated-store";
import type { ReplicaView } from "../replica-model.js";
import { bytes, escapeHtml, ms, replicaColor } from "./html.js";

export function replicaCard(
  view: ReplicaView,
  snapshot: MetricsSnapshot,
  healthy: boolean,
): string {
  const e = escapeHtml;
  const vector = view.vector.map(([replica, n]) => `<span>${e(replica)}:${n}</span>`).join(" ");
  const cloud = view.cloudDots > 0 ? ` <small>+${view.cloudDots} above a gap</small>` : "";
  const siblings = view.colors.length > 1;
  const lag = snapshot.replicationLag.recent;
  const peers = snapshot.peers
    .map(
      (p) =>
        `<tr><td>${e(p.peer)}</td><td>${bytes(p.bytesIn)}</td><td>${bytes(p.bytesOut)}</td><td>${
          p.lastSyncAtMs === undefined
            ? "never"
            : `${Math.round((snapshot.atMs - p.lastSyncAtMs) / 1000)} s ago`
        }</td></tr>`,
    )
    .join("");
  return `
  <article class="replica" data-replica="${e(view.id)}" style="--accent:${replicaColor(view.id)}">
    <header>
      <h3>${e(view.id)}</h3>
      <span class="health ${healthy ? "ok" : "bad"}">${healthy ? "healthy" : "unhealthy"}</span>
    </header>
    <dl>
      <dt>likes <small>PN-Counter</small></dt><dd data-field="counter">${view.counter}</dd>
      <dt>tags <small>OR-Set</small></dt><dd data-field="tags">${e(view.tags.join(", "))}</dd>
      <dt>title <small>LWW</small></dt><dd data-field="title">${e(view.title ?? "")}</dd>
      <dt>color <small>MV-Register</small></dt>
      <dd data-field="colors" class="${siblings ? "siblings" : ""}">${view.colors
        .map((c) => `<span class="sibling">${e(c)}</span>`)
        .join("")}${siblings ? ` <small>${view.colors.length} siblings</small>` : ""}</dd>
      <dt>version vector</dt><dd data-field="vector">${vector}${cloud}</dd>
      <dt>connected to</dt><dd data-field="peers">${e(view.peers.join(", ") || "nobody")}</dd>
    </dl>
    <table class="metrics">
      <tr><th>writes</th><td>${snapshot.writes.total}</td><th>reads (stale)</th><td>${snapshot.reads.total} (${snapshot.reads.stalenessPercent.toFixed(0)} %)</td></tr>
      <tr><th>lag p50</th><td>${ms(lag.p50Ms)}</td><th>lag p99</th><td>${ms(lag.p99Ms)}</td></tr>
      <tr><th>siblings seen</th><td>${snapshot.conflicts.siblings}</td><th>LWW overwrites</th><td>${snapshot.conflicts["lww-overwrite"]}</td></tr>
    </table>
    <table class="peers">
      <tr><th>peer</th><th>in</th><th>out</th><th>last sync</th></tr>${peers}
    </table>
  </article>`;
}
