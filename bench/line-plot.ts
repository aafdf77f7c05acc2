import { writeFileSync } from 'node:fs';
import { createCanvas } from '@napi-rs/canvas';

export interface Series {
  label: string;
  points: Array<[number, number]>;
}

const WIDTH = 720;
const HEIGHT = 400;
const MARGIN = { left: 64, right: 170, top: 40, bottom: 48 };
const COLOURS = ['#4a7fd4', '#d9534f', '#5cb85c', '#f0ad4e', '#8e44ad', '#17a2b8'];

/** A PNG line chart of several series over a shared x axis (the benchmarks' plots). */
export function writeLinePlot(path: string, title: string, xLabel: string, yLabel: string, series: Series[]): void {
  const canvas = createCanvas(WIDTH, HEIGHT);
  const g = canvas.getContext('2d');
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map(([x]) => x));
  const yMax = Math.max(1, ...all.map(([, y]) => y)) * 1.1;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => MARGIN.left + (x / xMax) * plotW;
  const py = (y: number) => MARGIN.top + plotH - (y / yMax) * plotH;

  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, WIDTH, HEIGHT);
  g.strokeStyle = '#222222';
  g.lineWidth = 1;
  g.strokeRect(MARGIN.left, MARGIN.top, plotW, plotH);
  g.font = '11px sans-serif';
  g.fillStyle = '#222222';
  for (let i = 0; i <= 5; i++) {
    const xv = (xMax * i) / 5;
    const yv = (yMax * i) / 5;
    g.fillText(xv.toFixed(xMax < 10 ? 1 : 0), px(xv) - 8, HEIGHT - MARGIN.bottom + 16);
    g.fillText(yv.toFixed(yMax < 10 ? 1 : 0), MARGIN.left - 36, py(yv) + 4);
  }
  g.fillText(xLabel, MARGIN.left + plotW / 2 - 30, HEIGHT - 12);
  g.save();
  g.translate(16, MARGIN.top + plotH / 2 + 10);
  g.rotate(-Math.PI / 2);
  g.fillText(yLabel, 0, 0);
  g.restore();
  g.font = 'bold 13px sans-serif';
  g.fillText(title, MARGIN.left, 24);

  g.font = '11px sans-serif';
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    g.strokeStyle = colour;
    g.lineWidth = 2;
    g.beginPath();
    s.points.forEach(([x, y], j) => (j === 0 ? g.moveTo(px(x), py(y)) : g.lineTo(px(x), py(y))));
    g.stroke();
    g.fillStyle = colour;
    g.fillRect(WIDTH - MARGIN.right + 12, MARGIN.top + i * 18, 12, 12);
    g.fillStyle = '#222222';
    g.fillText(s.label, WIDTH - MARGIN.right + 30, MARGIN.top + i * 18 + 10);
  });
  writeFileSync(path, canvas.toBuffer('image/png'));
}
