/**
 * Where the graph draws each node: hubs in a row at the top, clients in a
 * row below, one edge per client-hub pair. Each pair's pool bars sit on its
 * edge close to the client, at the same height for every edge, so that the
 * bars of one client never reach those of the next.
 */
import type { Point } from './snapshot';

export interface GraphLayout {
  width: number;
  height: number;
  hubs: Point[];
  clients: Point[];
  /** The bars of client i's edge to hub j. */
  glyph(client: number, hub: number): Point;
}

const MARGIN_X = 70;
const HUB_Y = 70;
const ROW_GAP = 400;
const MIN_SPACING_HUBS = 200;
const MIN_SPACING_CLIENTS = 200;
/** Width a pair of bars needs beside the next pair. */
const GLYPH_WIDTH = 26;

/** x positions of `count` nodes centred in `width`, `spacing` apart. */
function row(count: number, spacing: number, width: number): number[] {
  const span = (count - 1) * spacing;
  return Array.from({ length: count }, (_, i) => width / 2 - span / 2 + i * spacing);
}

export function layoutGraph(hubCount: number, clientCount: number): GraphLayout {
  const hubSpacing = MIN_SPACING_HUBS;
  const hubSpan = Math.max(0, hubCount - 1) * hubSpacing;
  // t along each edge from its client: the bars of one client are t * hubSpacing apart (room for a pair, and some),
  // and its row of bars spans t * hubSpan, which must end before the next client's begins.
  const t = (1.3 * GLYPH_WIDTH) / hubSpacing;
  const clientSpacing = Math.max(MIN_SPACING_CLIENTS, Math.ceil((GLYPH_WIDTH + t * hubSpan) / (1 - t)));
  const widest = Math.max(hubSpan, Math.max(0, clientCount - 1) * clientSpacing);
  const width = Math.max(2 * MARGIN_X + widest, 640);
  const hubs = row(hubCount, hubSpacing, width).map((x) => ({ x, y: HUB_Y }));
  const clientY = HUB_Y + ROW_GAP;
  const clients = row(clientCount, clientSpacing, width).map((x) => ({ x, y: clientY }));
  return {
    width,
    height: clientY + 60,
    hubs,
    clients,
    glyph(client: number, hub: number): Point {
      const from = clients[client];
      const to = hubs[hub];
      return { x: from.x + (to.x - from.x) * t, y: from.y + (to.y - from.y) * t };
    },
  };
}
