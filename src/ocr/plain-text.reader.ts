export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/** Bytes judged for a BOM-less UTF-16 file: enough to see the pattern, cheap to scan. */
const SNIFF_BYTES = 8192;

/**
 * The encoding of a text file: UTF-16 when a BOM says so, or when its bytes show UTF-16's
 * pattern for Latin text (every other byte NUL, the same parity throughout); UTF-8 otherwise.
 */
export function textEncodingOf(bytes: Uint8Array): TextEncoding {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  const pairs = Math.floor(Math.min(bytes.length, SNIFF_BYTES) / 2);
  // Four characters at least: a short binary blob with a NUL or two is not text.
  if (pairs < 4) return 'utf-8';
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < pairs; i++) {
    if (bytes[2 * i] === 0) evenNul++;
    if (bytes[2 * i + 1] === 0) oddNul++;
  }
  if (oddNul >= pairs * 0.9 && evenNul <= pairs * 0.05) return 'utf-16le';
  if (evenNul >= pairs * 0.9 && oddNul <= pairs * 0.05) return 'utf-16be';
  return 'utf-8';
}

/** Decodes a text/plain upload in the encoding textEncodingOf finds; a BOM is dropped. */
export function decodePlainText(bytes: Uint8Array): string {
  // Not fatal: a stray invalid byte becomes U+FFFD instead of failing the whole document.
  return new TextDecoder(textEncodingOf(bytes)).decode(bytes);
}
