import { MAX_FILENAME_BYTES, safeFilename } from '../../src/jobs/safe-filename';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('safeFilename', () => {
  it('keeps an ordinary name, accents and scripts as they are', () => {
    expect(safeFilename('Invoice 2026-03.pdf')).toBe('Invoice 2026-03.pdf');
    expect(safeFilename('Überweisung für März.pdf')).toBe('Überweisung für März.pdf');
    expect(safeFilename('請求書.pdf')).toBe('請求書.pdf');
  });

  it('keeps only the base name of a path, with either separator', () => {
    expect(safeFilename('../../etc/passwd')).toBe('passwd');
    expect(safeFilename('C:\\Users\\ann\\scan.png')).toBe('scan.png');
    expect(safeFilename('dir/')).toBe('unnamed');
  });

  it.each([
    ['right-to-left override (U+202E)', 'invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['left-to-right/right-to-left embeddings and pop (U+202A, U+202B, U+202C)', '\u202Aa\u202Bb\u202C.pdf', 'ab.pdf'],
    ['left-to-right override (U+202D)', 'a\u202Db.pdf', 'ab.pdf'],
    ['isolates (U+2066-U+2069)', '\u2066a\u2067b\u2068c\u2069.pdf', 'abc.pdf'],
    ['LRM and RLM (U+200E, U+200F)', 'a\u200Eb\u200F.pdf', 'ab.pdf'],
    ['the Arabic letter mark (U+061C)', 'فاتورة\u061C.pdf', 'فاتورة.pdf'],
    ['zero-width space, joiners and BOM', '\uFEFFa\u200Bb\u200Cc\u200Dd\u2060.pdf', 'abcd.pdf'],
    ['C0 controls, DEL and C1 controls', 'a\u0000b\u0007c\td\ne\u007Ff\u0085g\u009B.pdf', 'abcdefg.pdf'],
    ['line and paragraph separators', 'a\u2028b\u2029.pdf', 'ab.pdf'],
  ])('drops %s', (_what, input, expected) => {
    expect(safeFilename(input)).toBe(expected);
  });

  it('keeps a zero-width joiner only inside an emoji sequence, where it is visible as one emoji', () => {
    expect(safeFilename('👩\u200D💻 notes.txt')).toBe('👩\u200D💻 notes.txt');
    expect(safeFilename('👍🏽\u200D🔥.txt')).toBe('👍🏽\u200D🔥.txt');
    expect(safeFilename('a\u200D.txt')).toBe('a.txt');
    expect(safeFilename('👩\u200Da.txt')).toBe('👩a.txt');
    expect(safeFilename('a\u200D💻.txt')).toBe('a💻.txt');
    // Tag characters can smuggle invisible ASCII text.
    expect(safeFilename('scan\u{E0069}\u{E0067}\u{E006E}.pdf')).toBe('scan.pdf');
  });

  it('normalises to NFC, so the same name is the same string however it was typed', () => {
    const decomposed = 'Cafe\u0301.pdf';
    expect(decomposed).toHaveLength(9);
    expect(safeFilename(decomposed)).toBe('Café.pdf');
    expect(safeFilename(decomposed)).toHaveLength(8);
  });

  it('trims and names what is left of nothing', () => {
    expect(safeFilename('  scan.pdf  ')).toBe('scan.pdf');
    expect(safeFilename('')).toBe('unnamed');
    expect(safeFilename('\u202E\u200B \u0000')).toBe('unnamed');
    expect(safeFilename('..')).toBe('unnamed');
    expect(safeFilename('.')).toBe('unnamed');
  });

  it('keeps a name of exactly 255 bytes whole', () => {
    const name = `${'a'.repeat(251)}.pdf`;
    expect(safeFilename(name)).toBe(name);
  });

  it('shortens a long name to 255 bytes and keeps its extension', () => {
    const out = safeFilename(`${'report-'.repeat(60)}final.pdf`);
    expect(bytes(out)).toBe(MAX_FILENAME_BYTES);
    expect(out.endsWith('.pdf')).toBe(true);
    expect(out.startsWith('report-report-')).toBe(true);
  });

  it('cuts multi-byte text between characters, never inside one', () => {
    // 'é' is 2 bytes and '請' 3: a byte cut would leave half a character (U+FFFD when decoded).
    for (const unit of ['é', '請', '😀', '👩‍💻', '🇳🇱']) {
      const out = safeFilename(`${unit.repeat(200)}.tiff`);
      expect(bytes(out)).toBeLessThanOrEqual(MAX_FILENAME_BYTES);
      expect(out.endsWith('.tiff')).toBe(true);
      const stem = out.slice(0, -'.tiff'.length);
      // Whole characters only (grapheme clusters: a flag or a ZWJ sequence stays whole).
      expect(stem.length % unit.length).toBe(0);
      expect(stem).toBe(unit.repeat(stem.length / unit.length));
      expect(bytes(stem)).toBeGreaterThan(MAX_FILENAME_BYTES - bytes('.tiff') - bytes(unit));
    }
  });

  it('drops the trailing space a cut leaves before the extension', () => {
    const out = safeFilename(`${'a'.repeat(250)} bbbbbbbbbb.pdf`);
    expect(out).toBe(`${'a'.repeat(250)}.pdf`);
  });

  it('cuts a name whose "extension" is no extension (no dot, a dotfile, a long suffix) as a whole', () => {
    expect(bytes(safeFilename('x'.repeat(400)))).toBe(MAX_FILENAME_BYTES);
    expect(safeFilename(`.${'x'.repeat(400)}`)).toBe(`.${'x'.repeat(254)}`);
    const longSuffix = safeFilename(`a.${'x'.repeat(400)}`);
    expect(longSuffix).toBe(`a.${'x'.repeat(253)}`);
  });

  it('cuts inside one huge grapheme cluster (a letter under hundreds of combining marks) between code points', () => {
    const zalgo = `q${'\u0301\u0316'.repeat(200)}`; // one cluster of 801 bytes, no precomposed form
    const out = safeFilename(`${zalgo}.pdf`);
    expect(out.length).toBeGreaterThan(0);
    expect(bytes(out)).toBeLessThanOrEqual(MAX_FILENAME_BYTES);
    expect(Buffer.from(out, 'utf8').toString('utf8')).toBe(out);
    expect(out.startsWith('q\u0316')).toBe(true);
    expect(out.endsWith('.pdf')).toBe(true);
  });
});
