/**
 * The page: starts the simulated cluster and this tab's replica, wires the buttons, and redraws
 * the cards, the timeline and the lag chart four times a second. `body[data-ready]` tells the
 * end-to-end tests (and a curious reader) that both are running.
 */
import { pageConfig } from "./config.js";
import { History } from "./history.js";
import type { ReplicaModel } from "./replica-model.js";
import { SIM_IDS, SimCluster } from "./sim-cluster.js";
import { openTabReplica, type TabReplica } from "./tab-replica.js";
import { escapeHtml } from "./view/html.js";
import { drawLagChart } from "./view/lag-chart.js";
import { replicaCard } from "./view/replica-card.js";
import { timelineSvg } from "./view/timeline.js";

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

function showError(error: unknown): void {
  console.error(error);
  const box = element("error");
  box.hidden = false;
  box.textContent = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Runs a button's action, reporting a failure on the page instead of losing it. */
function onClick(id: string, action: () => void | Promise<void>): void {
  element(id).addEventListener("click", () => {
    Promise.resolve().then(action).catch(showError);
  });
}

function card(model: ReplicaModel): string {
  return replicaCard(model.view(), model.metrics.snapshot(), model.metrics.health().healthy);
}

async function main(): Promise<void> {
  const config = pageConfig(location, sessionStorage);
  const history = new History();
  element("server-url").textContent = config.server;
  const [sim, tab] = await Promise.all([
    SimCluster.start(history),
    openTabReplica(config, (origin) => history.event(config.replica, origin)),
  ]);
  const [simA] = sim.models;

  onClick("sim-partition", () => sim.partition());
  onClick("sim-heal", () => sim.heal());
  onClick("sim-edit", () => sim.concurrentEdits());
  onClick("sim-resolve", () => simA?.resolveColor());
  onClick("tab-edit", () => tab.model.editAll());
  onClick("tab-resolve", () => tab.model.resolveColor());
  onClick("tab-offline", () => {
    tab.routes.setOnline(!tab.routes.online);
    element("tab-offline").textContent = tab.routes.online ? "Go offline" : "Go online";
  });

  const rows = [...SIM_IDS, config.replica];
  const redraw = () => {
    const converged = sim.converged();
    const all = [...sim.models, tab.model];
    const p99 = new Map<string, number>();
    for (const model of all) {
      const value = model.metrics.snapshot().replicationLag.recent.p99Ms;
      if (value !== undefined) p99.set(model.replica.id, value);
    }
    history.sample(sim.partitioned, converged, p99);
    element("sim-status").innerHTML =
      `${sim.partitioned ? '<span class="bad">partitioned</span>' : "connected"} · ${
        converged ? '<span class="ok">converged</span>' : '<span class="bad">diverged</span>'
      }`;
    element("sim-cards").innerHTML = sim.models.map(card).join("");
    element("tab-status").innerHTML = tabStatus(tab);
    element("tab-card").innerHTML = card(tab.model);
    element("timeline").innerHTML = timelineSvg(history, rows);
    drawLagChart(element<HTMLCanvasElement>("lag"), history, rows);
  };
  redraw();
  setInterval(redraw, 250);
  document.body.dataset.ready = "true";
}

function tabStatus(tab: TabReplica): string {
  const server =
    tab.server.state === "open"
      ? '<span class="ok">server connected</span>'
      : `<span class="bad">server ${tab.server.state}</span>`;
  const offline = tab.routes.online ? "" : ' · <span class="bad">offline (by you)</span>';
  return `${server}${offline} · replica <code>${escapeHtml(tab.model.replica.id)}</code>`;
}

main().catch(showError);
