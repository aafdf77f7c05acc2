import { mayBeMisoriented, wordlikeShare } from '../../src/ocr/orientation.heuristic';
import { rotationsToTry } from '../../src/ocr/tesseract.ocr-engine';

// First readings tesseract gave for real pages (trimmed): see the corpus figures in the heuristic.
const SIDEWAYS =
  '2332\n- X < >\nLZ O mM x\nm nn £ =\n- 0 Cm\nSC 0K\n~™\nOL, m=\no mz 5\nS84\nx © 4 2\n32%\nm 0 O\nx =\n(9)\n>.\n';
const UPSIDE_DOWN =
  'HEYPSED 14] ny uEq UBIBIA\noun3 cote | Fensasunuipay\nuna 000 | "3S\noun3 o00Te | BwwnsuRpsImz\nSunuyoay auy)\n222 02s 15 05+ ey\nvoz-2vz oes 15 05+ fr\nwo oso1e@Runuras pews\npueiypsineg\n1zevsvezt sownuuopny unio vez';
const UPRIGHT =
  'CONTOSO LTD.\nGartenstraBe 02\n321 Hamburg\nDeutschland\nJohannes Schmidt Rechnungsdatum 01.02.2020\nBahnhofstraRe 01 Rechnungsnummer 1234';

describe('orientation heuristic', () => {
  it('measures the share of wordlike characters', () => {
    expect(wordlikeShare('Invoice total 12.50 EUR')).toBe(1);
    expect(wordlikeShare('x | ~ Invoice')).toBeCloseTo(7 / 10);
    expect(wordlikeShare('Grüße für 2024')).toBe(1);
  });

  it('checks a sideways page even when tesseract is confident about its garbage', () => {
    expect(mayBeMisoriented({ text: SIDEWAYS, confidence: 0.57 })).toBe(true);
  });

  it('checks an upside-down page read with low confidence', () => {
    expect(mayBeMisoriented({ text: UPSIDE_DOWN, confidence: 0.26 })).toBe(true);
  });

  it('leaves an upright page alone, even one read with middling confidence', () => {
    expect(mayBeMisoriented({ text: UPRIGHT, confidence: 0.75 })).toBe(false);
    expect(mayBeMisoriented({ text: UPRIGHT, confidence: 0.45 })).toBe(false);
  });

  it('does not check a page without text (OSD could not judge it either)', () => {
    expect(mayBeMisoriented({ text: ' \n ', confidence: 0 })).toBe(false);
  });

  it('follows a sideways verdict of OSD with the opposite turn, since OSD confuses the two sides', () => {
    expect(rotationsToTry(90)).toEqual([90, 270]);
    expect(rotationsToTry(270)).toEqual([270, 90]);
    expect(rotationsToTry(180)).toEqual([180]);
    expect(rotationsToTry(0)).toEqual([]);
  });
});
