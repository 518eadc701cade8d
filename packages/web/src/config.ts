/**
 * Page settings from the URL: `?server=ws://host:port/sync` (the `convergent serve` node; by
 * default port 7000 on this page's host) and `?replica=<id>` (this tab's replica id; by default
 * one made up per tab and kept in sessionStorage, so a reload keeps it and its IndexedDB data).
 */
export interface PageConfig {
  readonly server: string;
  readonly replica: string;
}

const SESSION_KEY = "convergent-web:replica";

export function pageConfig(location: Location, session: Storage): PageConfig {
  const params = new URLSearchParams(location.search);
  const server = params.get("server") ?? `ws://${location.hostname || "127.0.0.1"}:7000/sync`;
  let replica = params.get("replica") ?? session.getItem(SESSION_KEY);
  if (replica === null || replica === "") {
    replica = `tab-${Math.random().toString(36).slice(2, 7)}`;
  }
  session.setItem(SESSION_KEY, replica);
  return { server, replica };
}
