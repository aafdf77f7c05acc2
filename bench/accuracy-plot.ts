import { writeFileSync } from 'node:fs';
import { createCanvas } from '@napi-rs/canvas';
import type { ReliabilityBin } from './accuracy-metrics';

const SIZE = 480;
const MARGIN = 56;

/**
 * A reliability diagram as PNG: per confidence bin, a bar of the share right (blue) over the
 * diagonal a calibrated classifier would follow, with each bin's document count on its bar.
 */
export function writeReliabilityPlot(path: string, title: string, bins: readonly ReliabilityBin[], ece: number): void {
  const canvas = createCanvas(SIZE, SIZE);
  const g = canvas.getContext('2d');
  const plot = SIZE - 2 * MARGIN;
  const x = (v: number) => MARGIN + v * plot;
  const y = (v: number) => SIZE - MARGIN - v * plot;

  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, SIZE, SIZE);

  g.font = '12px sans-serif';
  for (const bin of bins) {
    if (bin.count === 0) continue;
    g.fillStyle = '#4a7fd4';
    g.fillRect(x(bin.from) + 2, y(bin.accuracy), x(bin.to) - x(bin.from) - 4, y(0) - y(bin.accuracy));
    // The gap to the bin's mean confidence, the part ECE sums.
    g.strokeStyle = '#d9534f';
    g.lineWidth = 2;
    g.beginPath();
    g.moveTo(x(bin.from) + 2, y(bin.confidence));
    g.lineTo(x(bin.to) - 2, y(bin.confidence));
    g.stroke();
    g.fillStyle = '#222222';
    g.fillText(String(bin.count), x(bin.from) + 4, y(Math.max(bin.accuracy, bin.confidence)) - 4);
  }

  g.strokeStyle = '#888888';
  g.lineWidth = 1;
  g.setLineDash([4, 4]);
  g.beginPath();
  g.moveTo(x(0), y(0));
  g.lineTo(x(1), y(1));
  g.stroke();
  g.setLineDash([]);

  g.strokeStyle = '#222222';
  g.strokeRect(x(0), y(1), plot, plot);
  g.fillStyle = '#222222';
  for (let i = 0; i <= 10; i += 2) {
    const v = i / 10;
    g.fillText(v.toFixed(1), x(v) - 8, y(0) + 16);
    g.fillText(v.toFixed(1), x(0) - 28, y(v) + 4);
  }
  g.fillText('confidence (red: mean in bin)', x(0.3), SIZE - 12);
  g.save();
  g.translate(16, y(0.3));
  g.rotate(-Math.PI / 2);
  g.fillText('share right (blue)', 0, 0);
  g.restore();
  g.font = 'bold 13px sans-serif';
  g.fillText(`${title}  ECE ${ece.toFixed(3)}`, MARGIN, 24);

  writeFileSync(path, canvas.toBuffer('image/png'));
}
