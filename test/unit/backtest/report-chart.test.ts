import { escapeHtml, lineChart, niceTicks, page, timeline } from '../../../shared/report';

describe('report charts', () => {
  it.each([
    [0, 10, [0, 2, 4, 6, 8, 10]],
    [0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [0, 37, [0, 10, 20, 30]],
  ])('niceTicks(%f, %f)', (lo, hi, want) => {
    expect(niceTicks(lo, hi)).toEqual(want);
  });

  it('escapes text', () => {
    expect(escapeHtml(`<b a="1">'&'</b>`)).toBe('&lt;b a=&quot;1&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;');
  });

  it('reduces a long series to at most one point per pixel, keeping the peak', () => {
    const n = 100_000;
    const values = new Float64Array(n).fill(1);
    values[54_321] = 50;
    const t = Float64Array.from({ length: n }, (_, i) => i * 60_000);
    const svg = lineChart({
      title: 'demand <peak>',
      t,
      series: [{ name: 'demand', color: '#123456', values }],
      events: [{ t: 30_000 * 60_000, label: 'traffic onto the shadow pool' }],
      width: 600,
      id: 'x',
    });
    const points = /<polyline [^>]*points="([^"]+)"/.exec(svg)?.[1]?.split(' ') ?? [];
    expect(points.length).toBeLessThanOrEqual(600 - 56 - 16);
    expect(points.length).toBeGreaterThan(100);
    // The peak survives the reduction: some point is at the top of the plot.
    const ys = points.map((p) => Number(p.split(',')[1]));
    expect(Math.min(...ys)).toBeLessThan(60);
    expect(svg).toContain('demand &lt;peak&gt;');
    expect(svg).toContain('<title>traffic onto the shadow pool</title>');
    expect(svg).toContain('id="x"');
  });

  it('breaks lines at gaps (NaN)', () => {
    const svg = lineChart({
      title: 'gaps',
      t: [0, 1, 2, 3, 4],
      series: [{ name: 's', color: '#000000', values: [1, 2, Number.NaN, 3, 4] }],
    });
    expect(svg.match(/<polyline /g)).toHaveLength(2);
  });

  it('builds a self-contained page and a timeline', () => {
    const html = page('T', timeline([{ t: Date.UTC(2026, 0, 1, 12), label: 'home' }]));
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('2026-01-01 12:00');
    expect(html).not.toMatch(/<script|<link/);
  });
});
