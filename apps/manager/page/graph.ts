/** The topology graph in SVG: hubs above, clients below, and on each edge the pair's two pool bars. */
import type { DashboardEdge, DashboardNode, Snapshot, Thresholds } from '../src/dashboard/snapshot';
import { formatBytes, poolBar, refilledPools, thresholdY } from './charts';
import { s } from './dom';

const BAR_W = 9;
const BAR_GAP = 3;
const BAR_H = 44;
const NODE_W = 104;
const NODE_H = 44;

function bar(x: number, y: number, unused: number | null, t: Thresholds, label: string, grew: boolean): SVGElement {
  const { fraction, level } = poolBar(unused, t);
  const filled = fraction * BAR_H;
  return s(
    'g',
    { class: `bar bar-${level}${grew ? ' bar-grew' : ''}`, 'data-bytes': unused ?? '' },
    s('rect', { class: 'bar-track', x, y, width: BAR_W, height: BAR_H, rx: 2 }),
    s('rect', { class: 'bar-fill', x, y: y + BAR_H - filled, width: BAR_W, height: filled, rx: 2 }),
    s('text', { class: 'bar-label', x: x + BAR_W / 2, y: y + BAR_H + 10 }, label),
  );
}

function edgeView(edge: DashboardEdge, nodes: Map<string, DashboardNode>, t: Thresholds, grown: Set<string>): SVGElement {
  const client = nodes.get(`client/${edge.client}`);
  const hub = nodes.get(`hub/${edge.hub}`);
  const state = !client?.up || !hub?.up ? 'down' : edge.reachable === false ? 'unreachable' : edge.registered === false ? 'unregistered' : 'ok';
  const left = edge.glyph.x - BAR_W - BAR_GAP / 2;
  const top = edge.glyph.y - BAR_H / 2;
  const title = `${edge.client} - ${edge.hub}: client allocates ${formatBytes(edge.clientPool)} unused, hub allocates ${formatBytes(edge.hubPool)} unused; refills seen ${edge.clientPoolRefills} / ${edge.hubPoolRefills}` +
    (edge.seenBy === 'hub' ? ' (as the hub sees it; the client is down)' : '') +
    (state === 'unreachable' ? ` (${edge.client}'s last call to ${edge.hub} got no answer)` : '') +
    (state === 'unregistered' ? ` (${edge.client} is not registered with ${edge.hub})` : '');
  return s(
    'g',
    { class: `edge edge-${state}`, 'data-edge': `${edge.client}/${edge.hub}` },
    s('title', {}, title),
    s('line', { class: 'edge-line', x1: edge.from.x, y1: edge.from.y - NODE_H / 2, x2: edge.to.x, y2: edge.to.y + NODE_H / 2 }),
    s('rect', { class: 'glyph-back', x: left - 3, y: top - 3, width: 2 * BAR_W + BAR_GAP + 6, height: BAR_H + 16, rx: 3 }),
    bar(left, top, edge.clientPool, t, 'C', grown.has(`${edge.client}/${edge.hub}/C`)),
    bar(left + BAR_W + BAR_GAP, top, edge.hubPool, t, 'H', grown.has(`${edge.client}/${edge.hub}/H`)),
    s('line', { class: 'mark mark-start', x1: left - 2, x2: left + 2 * BAR_W + BAR_GAP + 2, y1: top + thresholdY(t.start, t, BAR_H), y2: top + thresholdY(t.start, t, BAR_H) }),
    s('line', { class: 'mark mark-stop', x1: left - 2, x2: left + 2 * BAR_W + BAR_GAP + 2, y1: top + thresholdY(t.stop, t, BAR_H), y2: top + thresholdY(t.stop, t, BAR_H) }),
  );
}

function nodeView(node: DashboardNode, selected: boolean, onSelect: (node: DashboardNode) => void): SVGElement {
  const g = s(
    'g',
    {
      class: `node node-${node.kind} ${node.up ? 'node-up' : 'node-down'}${selected ? ' node-selected' : ''}`,
      'data-node': `${node.kind}/${node.name}`,
      'data-up': String(node.up),
      tabindex: 0,
      role: 'button',
      'aria-label': `${node.kind} ${node.name}, ${node.up ? 'up' : 'down'}`,
    },
    s('title', {}, `${node.kind} ${node.name} on port ${node.port}: ${node.up ? 'up' : `down (${node.reason ?? 'no answer'})`}`),
    s('rect', { class: 'node-box', x: node.x - NODE_W / 2, y: node.y - NODE_H / 2, width: NODE_W, height: NODE_H, rx: node.kind === 'hub' ? 6 : 22 }),
    s('text', { class: 'node-name', x: node.x, y: node.y - 2 }, node.name),
    s('text', { class: 'node-sub', x: node.x, y: node.y + 13 }, node.up ? `${node.kind} :${node.port}` : 'down'),
  );
  g.addEventListener('click', () => onSelect(node));
  g.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter' || (e as KeyboardEvent).key === ' ') onSelect(node);
  });
  return g;
}

/** Draw the graph; pools that grew since `previous` (a refill landed) flash. */
export function renderGraph(svg: SVGSVGElement, snapshot: Snapshot, previous: Snapshot | undefined, selected: string | undefined, onSelect: (node: DashboardNode) => void): void {
  const nodes = new Map(snapshot.nodes.map((n) => [`${n.kind}/${n.name}`, n]));
  const grown = refilledPools(previous?.edges, snapshot.edges);
  svg.setAttribute('viewBox', `0 0 ${snapshot.width} ${snapshot.height}`);
  const hubRowY = snapshot.nodes.find((n) => n.kind === 'hub')?.y ?? 0;
  const clientRowY = snapshot.nodes.find((n) => n.kind === 'client')?.y ?? 0;
  svg.replaceChildren(
    s('text', { class: 'row-label', x: 12, y: hubRowY - 34 }, 'hubs'),
    s('text', { class: 'row-label', x: 12, y: clientRowY + 44 }, 'clients'),
    s('g', { class: 'edges' }, ...snapshot.edges.map((e) => edgeView(e, nodes, snapshot.thresholds, grown))),
    s('g', { class: 'nodes' }, ...snapshot.nodes.map((n) => nodeView(n, selected === `${n.kind}/${n.name}`, onSelect))),
  );
}
