import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';

export interface BarGroup {
  label: string;
  /** One bar per series, in the order of `series`. */
  values: number[];
}

export interface BarPanel {
  title: string;
  unit: string;
  series: string[];
  groups: BarGroup[];
}

const PANEL_W = 460;
const HEIGHT = 380;
const MARGIN = { left: 64, right: 16, top: 48, bottom: 70 };
const COLOURS = ['#4a7fd4', '#f0ad4e', '#d9534f', '#5cb85c'];

function drawPanel(g: SKRSContext2D, x0: number, panel: BarPanel): void {
  const plotW = PANEL_W - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const max = Math.max(1, ...panel.groups.flatMap((grp) => grp.values)) * 1.15;
  const y = (v: number) => MARGIN.top + plotH - (v / max) * plotH;
  g.fillStyle = '#222222';
  g.font = 'bold 13px sans-serif';
  g.fillText(panel.title, x0 + MARGIN.left, 22);
  g.font = '11px sans-serif';
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    g.fillText(v >= 100 ? v.toFixed(0) : v.toFixed(1), x0 + 6, y(v) + 4);
  }
  g.fillText(panel.unit, x0 + 6, MARGIN.top - 10);
  g.strokeStyle = '#222222';
  g.strokeRect(x0 + MARGIN.left, MARGIN.top, plotW, plotH);
  const groupW = plotW / panel.groups.length;
  const barW = (groupW * 0.7) / panel.series.length;
  panel.groups.forEach((grp, gi) => {
    const gx = x0 + MARGIN.left + gi * groupW + groupW * 0.15;
    grp.values.forEach((v, si) => {
      g.fillStyle = COLOURS[si % COLOURS.length];
      g.fillRect(gx + si * barW, y(v), barW - 2, MARGIN.top + plotH - y(v));
      g.fillStyle = '#222222';
      g.fillText(v >= 100 ? v.toFixed(0) : v.toFixed(1), gx + si * barW, y(v) - 4);
    });
    g.fillText(grp.label, gx, MARGIN.top + plotH + 16);
  });
  if (panel.series.length > 1) {
    panel.series.forEach((name, si) => {
      g.fillStyle = COLOURS[si % COLOURS.length];
      g.fillRect(x0 + MARGIN.left + si * 80, HEIGHT - 28, 12, 12);
      g.fillStyle = '#222222';
      g.fillText(name, x0 + MARGIN.left + si * 80 + 16, HEIGHT - 18);
    });
  }
}

/** Panels of grouped bars side by side, as one PNG (the benchmarks' comparison plots). */
export function writeBarPlot(path: string, panels: BarPanel[]): void {
  const canvas = createCanvas(PANEL_W * panels.length, HEIGHT);
  const g = canvas.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, canvas.width, HEIGHT);
  panels.forEach((panel, i) => drawPanel(g, i * PANEL_W, panel));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, canvas.toBuffer('image/png'));
}
