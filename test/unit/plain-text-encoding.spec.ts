import { sniffContentType } from '../../src/jobs/upload-inspector';
import { decodePlainText, textEncodingOf } from '../../src/ocr/plain-text.reader';

const TEXT = 'Invoice INV-42 — total due €1,452.00\nPayment terms: 30 days.';
const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16();

describe('UTF-16 text files', () => {
  it.each([
    ['UTF-16LE with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]), 'utf-16le'],
    ['UTF-16BE with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)]), 'utf-16be'],
    ['UTF-16LE without a BOM', Buffer.from(TEXT, 'utf16le'), 'utf-16le'],
    ['UTF-16BE without a BOM', utf16be(TEXT), 'utf-16be'],
    ['UTF-8 with a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT)]), 'utf-8'],
  ])('%s is accepted as text and decoded exactly', async (_name, bytes, encoding) => {
    expect(textEncodingOf(bytes)).toBe(encoding);
    await expect(sniffContentType('notes.txt', bytes)).resolves.toBe('text/plain');
    expect(decodePlainText(bytes)).toBe(TEXT);
  });

  it('still refuses binary junk with NULs, and a UTF-16 file of only blanks', async () => {
    await expect(sniffContentType('x.bin', Buffer.from([0, 1, 2, 3, 255, 0, 7]))).rejects.toThrow(
      'not a recognised document',
    );
    await expect(sniffContentType('x.bin', Buffer.from([1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0]))).rejects.toThrow(
      'not a recognised document',
    );
    const blanks = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('  \n ', 'utf16le')]);
    await expect(sniffContentType('blank.txt', blanks)).rejects.toThrow("file 'blank.txt' has no content");
  });
});
