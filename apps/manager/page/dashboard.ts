/**
 * The dashboard page: takes the snapshots the manager pushes (Server-Sent
 * Events at /events) and draws them. No framework, nothing from elsewhere.
 */
import type { DashboardNode, Snapshot } from '../src/dashboard/snapshot';
import { summaryText } from './charts';
import { renderGraph } from './graph';
import { clientCard, detailsView, hubCard } from './panels';

/** No snapshot for this long: the manager is gone, the picture is stale. */
const STALE_MS = 3500;

const byId = <T extends Element>(id: string) => document.getElementById(id) as unknown as T;
const graph = byId<SVGSVGElement>('graph');
const clients = byId<HTMLElement>('clients');
const hubs = byId<HTMLElement>('hubs');
const details = byId<HTMLElement>('details');
const connection = byId<HTMLElement>('connection');
const updated = byId<HTMLElement>('updated');
const title = byId<HTMLElement>('config');
const summary = byId<HTMLElement>('summary');

let latest: Snapshot | undefined;
/** The picture before `latest`: a pool that grew since then flashes (a refill landed). */
let previous: Snapshot | undefined;
let lastAt = 0;
let selected: string | undefined;
let raw: string | undefined;

function nodeOf(id: string | undefined): DashboardNode | undefined {
  return latest?.nodes.find((n) => `${n.kind}/${n.name}` === id);
}

async function loadRaw(id: string): Promise<void> {
  raw = undefined;
  drawDetails();
  try {
    const answer = await fetch(`/api/nodes/${id}/status`, { cache: 'no-store' });
    const body = (await answer.json()) as { answered?: boolean; status?: number; body?: unknown; reason?: string; message?: string };
    if (selected !== id) return;
    raw = body.answered ? (body.status === 200 ? JSON.stringify(body.body, null, 2) : `answered ${body.status}:\n${JSON.stringify(body.body, null, 2)}`) : `no answer: ${body.reason ?? body.message ?? answer.status}`;
  } catch (error) {
    raw = `the dashboard did not answer: ${(error as Error).message}`;
  }
  drawDetails();
}

function select(node: DashboardNode): void {
  selected = `${node.kind}/${node.name}`;
  void loadRaw(selected);
  draw();
}

function drawDetails(): void {
  const node = nodeOf(selected);
  if (latest === undefined || node === undefined) {
    details.replaceChildren();
    details.hidden = true;
    return;
  }
  details.hidden = false;
  details.replaceChildren(
    detailsView(node, latest, raw, () => selected && void loadRaw(selected), () => {
      selected = undefined;
      draw();
    }),
  );
}

function draw(): void {
  if (latest === undefined) return;
  const snapshot = latest;
  title.textContent = snapshot.configName;
  summary.textContent = summaryText(snapshot);
  updated.textContent = new Date(snapshot.time).toLocaleTimeString();
  const up = snapshot.nodes.filter((n) => n.up).length;
  document.title = `DSKE ${snapshot.configName}: ${up} of ${snapshot.nodes.length} nodes up`;
  renderGraph(graph, snapshot, previous, selected, select);
  const pick = (kind: 'hub' | 'client', name: string) => () => {
    const node = snapshot.nodes.find((n) => n.kind === kind && n.name === name);
    if (node) select(node);
  };
  clients.replaceChildren(...snapshot.clients.map((c) => clientCard(c, snapshot, pick('client', c.name))));
  hubs.replaceChildren(...snapshot.hubs.map((hb) => hubCard(hb, pick('hub', hb.name))));
  drawDetails();
}

function setConnection(state: 'live' | 'reconnecting' | 'stale'): void {
  connection.textContent = state === 'live' ? 'live' : state === 'stale' ? 'no update from the manager' : 'reconnecting…';
  connection.className = `connection connection-${state}`;
  document.body.classList.toggle('stale', state !== 'live');
}

const events = new EventSource('/events');
events.addEventListener('snapshot', (event) => {
  previous = latest;
  latest = JSON.parse((event as MessageEvent<string>).data) as Snapshot;
  lastAt = Date.now();
  setConnection('live');
  draw();
});
events.addEventListener('error', () => setConnection('reconnecting'));
setInterval(() => {
  if (lastAt !== 0 && Date.now() - lastAt > STALE_MS) setConnection('stale');
}, 1000);
