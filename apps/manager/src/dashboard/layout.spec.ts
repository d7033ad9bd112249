import { describe, expect, it } from 'vitest';
import { layoutGraph } from './layout';

describe('layoutGraph', () => {
  it("the guide's topology: hubs above, clients below, in order, inside the picture", () => {
    const layout = layoutGraph(5, 5);
    expect(layout.hubs.map((p) => p.y)).toEqual([70, 70, 70, 70, 70]);
    expect(new Set(layout.clients.map((p) => p.y)).size).toBe(1);
    expect(layout.clients[0].y).toBeGreaterThan(layout.hubs[0].y);
    for (const row of [layout.hubs, layout.clients]) {
      for (let i = 1; i < row.length; i++) expect(row[i].x).toBeGreaterThan(row[i - 1].x);
      for (const p of row) expect(p.x > 0 && p.x < layout.width).toBe(true);
    }
  });

  it("pool bars sit on their edge, one row of them, and no pair of bars reaches another's", () => {
    for (const [hubs, clients] of [[5, 5], [3, 2], [1, 1], [4, 6], [6, 3], [8, 8]]) {
      const layout = layoutGraph(hubs, clients);
      const glyphs = Array.from({ length: clients }, (_, c) => Array.from({ length: hubs }, (_, h) => layout.glyph(c, h))).flat();
      expect(new Set(glyphs.map((g) => g.y.toFixed(6))).size, `${hubs}x${clients}`).toBe(1);
      const xs = glyphs.map((g) => g.x).sort((a, b) => a - b);
      for (let i = 1; i < xs.length; i++) expect(xs[i] - xs[i - 1], `${hubs}x${clients}`).toBeGreaterThanOrEqual(26);
      for (let c = 0; c < clients; c++) {
        for (let h = 0; h < hubs; h++) {
          // On the straight line from the client to the hub.
          const from = layout.clients[c];
          const to = layout.hubs[h];
          const g = layout.glyph(c, h);
          const cross = (to.x - from.x) * (g.y - from.y) - (to.y - from.y) * (g.x - from.x);
          expect(Math.abs(cross)).toBeLessThan(1e-6);
        }
      }
    }
  });
});
