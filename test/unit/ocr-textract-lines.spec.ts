import type { Block } from '@aws-sdk/client-textract';
import { linesInReadingOrder } from '../../src/ocr/textract-lines';

const line = (Text: string, Left: number, Top: number, Confidence = 90): Block => ({
  BlockType: 'LINE',
  Text,
  Confidence,
  Geometry: { BoundingBox: { Left, Top, Width: 0.2, Height: 0.02 } },
});

describe('linesInReadingOrder', () => {
  it('orders lines top to bottom, and left to right within a row', () => {
    const blocks = [
      line('Total', 0.1, 0.5),
      line('12.00', 0.7, 0.505),
      line('Header', 0.1, 0.1),
      { BlockType: 'WORD', Text: 'Header' } as Block,
    ];
    expect(linesInReadingOrder(blocks)).toEqual({ text: 'Header\nTotal 12.00', confidence: 0.9 });
  });

  it('returns empty text for a page without lines', () => {
    expect(linesInReadingOrder([])).toEqual({ text: '', confidence: 0 });
  });
});
