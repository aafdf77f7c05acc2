import { FuzzyVocabulary } from '../../src/classifier/fuzzy-vocabulary';
import { stems } from '../../src/classifier/text-features';
import { tokenize } from '../../src/classifier/text-tokens';

const texts = (s: string) => tokenize(s).map((t) => t.text);

describe('tokenize', () => {
  it('turns amounts, dates, times and percentages into shape tokens', () => {
    expect(texts('total 1,234.50 on 09/01/2019 at 8:01:11 vat 20 % and 27mar21')).toEqual([
      'total',
      '<amount>',
      'on',
      '<date>',
      'at',
      '<time>',
      'vat',
      '<percent>',
      'and',
      '<date>',
    ]);
  });

  it('reads machine-readable zone lines as <mrz>, with the fillers OCR makes of <', () => {
    expect(texts('passport p<xxxdoe<<jane<<<<<<<< x0000000<<0xxx9001014f««««02')).toEqual([
      'passport',
      '<mrz>',
      '<mrz>',
    ]);
  });

  it('reads stray digits inside words as the letters OCR took them for, but keeps codes', () => {
    expect(texts('t0tal rece1pt a4 b2b 2024')).toEqual(['total', 'recelpt', 'a4', 'b2b']);
  });
});

describe('FuzzyVocabulary', () => {
  const vocabulary = new FuzzyVocabulary(new Set(stems('receipt nationality surname cashier tendered')));

  it('maps a word one misread, dropped or added character away to the known word', () => {
    expect(vocabulary.correct('recelpt')).toBe('receipt');
    expect(vocabulary.correct('receit')).toBe('receipt');
    expect(vocabulary.correct('cashiier')).toBe('cashier');
  });

  it('leaves short, distant, known and shape tokens alone', () => {
    expect(vocabulary.correct('from')).toBe('from');
    // Two edits from "tendered": a different word, not a misreading.
    expect(vocabulary.correct('rendering')).toBe('rendering');
    expect(vocabulary.correct('receipt')).toBe('receipt');
    expect(vocabulary.correct('<amount>')).toBe('<amount>');
  });

  it('does not guess between two known words', () => {
    const ambiguous = new FuzzyVocabulary(new Set(['sender', 'tender']));
    expect(ambiguous.correct('lender')).toBe('lender');
  });
});
