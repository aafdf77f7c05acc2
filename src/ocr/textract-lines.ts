import type { Block } from '@aws-sdk/client-textract';

/**
 * Joins Textract LINE blocks in reading order: top to bottom, and left to right within a row.
 * Lines whose vertical centres lie within half a line height of each other share a row.
 */
export function linesInReadingOrder(blocks: Block[]): { text: string; confidence: number } {
  const lines = blocks
    .filter((b) => b.BlockType === 'LINE' && b.Text)
    .map((b) => {
      const box = b.Geometry?.BoundingBox;
      const top = box?.Top ?? 0;
      const height = box?.Height ?? 0;
      return {
        text: b.Text ?? '',
        left: box?.Left ?? 0,
        middle: top + height / 2,
        height,
        confidence: b.Confidence ?? 0,
      };
    })
    .sort((a, b) => a.middle - b.middle);
  const rows: (typeof lines)[] = [];
  for (const line of lines) {
    const row = rows.at(-1);
    const anchor = row?.[0];
    if (row && anchor && Math.abs(line.middle - anchor.middle) < Math.max(anchor.height, line.height) / 2)
      row.push(line);
    else rows.push([line]);
  }
  const text = rows
    .map((row) =>
      row
        .sort((a, b) => a.left - b.left)
        .map((l) => l.text)
        .join(' '),
    )
    .join('\n');
  const confidence = lines.length ? lines.reduce((sum, l) => sum + l.confidence, 0) / lines.length / 100 : 0;
  return { text, confidence };
}
