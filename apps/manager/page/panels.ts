/** The cards below the graph: per client its keys and errors, per hub its shares; and the selected node's details. */
import type { ClientPanel, DashboardNode, HubPanel, Snapshot } from '../src/dashboard/snapshot';
import { ago, formatRate, latest, niceMax, sparklinePath } from './charts';
import { h, s } from './dom';

const CHART_W = 280;
const CHART_H = 64;
const shown = (n: number | null) => (n === null ? '–' : String(n));

function stat(label: string, value: string, attrs: Record<string, string> = {}): HTMLElement {
  return h('div', { class: 'stat', ...attrs }, h('span', { class: 'stat-value' }, value), h('span', { class: 'stat-label' }, label));
}

function chart(panel: ClientPanel, historySecs: number): HTMLElement {
  const max = niceMax([...panel.madePerSecond, ...panel.deliveredPerSecond]);
  return h(
    'figure',
    { class: 'chart' },
    s(
      'svg',
      { viewBox: `0 0 ${CHART_W} ${CHART_H}`, width: CHART_W, height: CHART_H, role: 'img', 'aria-label': `keys per second of ${panel.name}, last ${historySecs / 60} minutes` },
      s('line', { class: 'chart-axis', x1: 0, y1: CHART_H - 0.5, x2: CHART_W, y2: CHART_H - 0.5 }),
      s('line', { class: 'chart-grid', x1: 0, y1: 0.5, x2: CHART_W, y2: 0.5 }),
      s('path', { class: 'line-made', d: sparklinePath(panel.madePerSecond, CHART_W, CHART_H - 2, max) }),
      s('path', { class: 'line-delivered', d: sparklinePath(panel.deliveredPerSecond, CHART_W, CHART_H - 2, max) }),
    ),
    h(
      'figcaption',
      {},
      h('span', { class: 'key key-made' }, `made ${formatRate(latest(panel.madePerSecond))}/s`),
      h('span', { class: 'key key-delivered' }, `delivered ${formatRate(latest(panel.deliveredPerSecond))}/s`),
      h('span', { class: 'chart-scale' }, `top ${max}/s · last ${historySecs / 60} min`),
    ),
  );
}

export function clientCard(panel: ClientPanel, snapshot: Snapshot, onSelect: () => void): HTMLElement {
  const errors = panel.recentErrors.slice(0, 5);
  const card = h(
    'article',
    {
      class: `card card-client ${panel.up ? 'is-up' : 'is-down'}`,
      'data-client': panel.name,
      'data-keys-made': panel.keysMade ?? '',
      'data-keys-delivered': panel.keysDelivered ?? '',
    },
    h('header', {}, h('span', { class: 'dot' }), h('button', { class: 'card-title', type: 'button' }, `client ${panel.name}`), h('span', { class: 'chips' }, ...panel.encryptors.map((e) => h('span', { class: 'chip', title: 'encryptor (SAE)' }, e)))),
    h('div', { class: 'stats' }, stat('keys made', shown(panel.keysMade)), stat('delivered', shown(panel.keysDelivered)), stat('failed requests', shown(panel.keyRequestsFailed))),
    chart(panel, snapshot.historySecs),
    errors.length === 0
      ? h('p', { class: 'no-errors' }, panel.up ? 'No ETSI errors' : 'Not answering')
      : h(
          'ol',
          { class: 'errors', 'aria-label': 'latest ETSI errors' },
          ...errors.map((e) =>
            h('li', { title: `${e.method} ${e.route}` }, h('span', { class: 'err-time' }, ago(e.time, snapshot.time)), h('span', { class: 'err-status' }, String(e.status)), h('span', { class: 'err-code' }, e.code), h('span', { class: 'err-message' }, e.message)),
          ),
        ),
  );
  card.querySelector('.card-title')?.addEventListener('click', onSelect);
  return card;
}

export function hubCard(panel: HubPanel, onSelect: () => void): HTMLElement {
  const card = h(
    'article',
    { class: `card card-hub ${panel.up ? 'is-up' : 'is-down'}`, 'data-hub': panel.name, 'data-shares-held': panel.sharesHeld ?? '' },
    h('header', {}, h('span', { class: 'dot' }), h('button', { class: 'card-title', type: 'button' }, `hub ${panel.name}`)),
    h('div', { class: 'stats' }, stat('shares held', shown(panel.sharesHeld)), stat('expired', shown(panel.sharesExpired)), stat('stored', shown(panel.sharesStored)), stat('delivered', shown(panel.sharesDelivered))),
  );
  card.querySelector('.card-title')?.addEventListener('click', onSelect);
  return card;
}

/** The selected node: its state, links, and its raw mgmt status (as the node gave it). */
export function detailsView(node: DashboardNode, snapshot: Snapshot, raw: string | undefined, onRefresh: () => void, onClose: () => void): HTMLElement {
  const refresh = h('button', { type: 'button', class: 'small' }, 'Refresh');
  refresh.addEventListener('click', onRefresh);
  const close = h('button', { type: 'button', class: 'small', 'aria-label': 'Close' }, '×');
  close.addEventListener('click', onClose);
  return h(
    'div',
    { class: 'details', 'data-details': `${node.kind}/${node.name}` },
    h('header', {}, h('h2', {}, `${node.kind} ${node.name}`), close),
    h('p', { class: `state ${node.up ? 'is-up' : 'is-down'}` }, h('span', { class: 'dot' }), node.up ? `up since ${ago(node.since, snapshot.time)}` : `down ${ago(node.since, snapshot.time)}: ${node.reason ?? 'no answer'}`),
    h('p', { class: 'links' }, `port ${node.port} · `, h('a', { href: node.docs, target: '_blank', rel: 'noopener noreferrer' }, 'Swagger UI (/docs)'), ' · ', h('a', { href: node.redoc, target: '_blank', rel: 'noopener noreferrer' }, 'ReDoc (/redoc)')),
    h('div', { class: 'raw-head' }, h('h3', {}, 'mgmt status'), refresh),
    h('pre', { class: 'raw' }, raw ?? 'loading…'),
  );
}
