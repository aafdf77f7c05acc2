/** Decodes a text/plain upload: UTF-8 by default, UTF-16 when a BOM says so; the BOM is dropped. */
export function decodePlainText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  // Not fatal: a stray invalid byte becomes U+FFFD instead of failing the whole document.
  return new TextDecoder('utf-8').decode(bytes);
}
