import { characterErrorRate, normaliseForCer, sroieReceipts, transcript } from '../../bench/ocr-cer';
import { describeWithCorpus } from '../support/corpus';

describe('OCR character error rate (bench:cer)', () => {
  it('puts SROIE boxes in reading order: lines top to bottom, boxes left to right', () => {
    const csv = [
      '300,40,400,40,400,60,300,60,RM 4.70',
      '20,10,200,10,200,30,20,30,MEGAH RETAIL',
      '20,42,120,42,120,62,20,62,TOTAL, INCL. GST',
      'not,a,box',
    ].join('\n');
    expect(transcript(csv)).toBe('MEGAH RETAIL\nTOTAL, INCL. GST RM 4.70');
  });

  it('compares case-folded text with whitespace collapsed', () => {
    expect(normaliseForCer('  Total\n\n RM  4.70 ')).toBe('total rm 4.70');
    expect(characterErrorRate('TOTAL RM 4.70', 'total\nrm 4.70')).toBe(0);
    // One substitution and one deletion over 13 reference characters.
    expect(characterErrorRate('totai rm 470', 'total rm 4.70')).toBeCloseTo(2 / 13);
    expect(characterErrorRate('', 'total')).toBe(1);
  });
});

describeWithCorpus('the SROIE receipts of the corpus', () => {
  it('lists the 30 receipts with an image and transcript each', () => {
    const receipts = sroieReceipts();
    expect(receipts).toHaveLength(30);
    expect(receipts.map((r) => r.name)).toContain('rcp_sroie_600.jpg');
  });
});
