/** File systems and most clients cap a name at 255 bytes of UTF-8. */
export const MAX_FILENAME_BYTES = 255;

/** An extension longer than this is part of the name, not a type worth keeping when cutting. */
const MAX_EXTENSION_BYTES = 32;

/**
 * Characters a name must not carry: controls (C0, DEL, C1), format characters (the bidirectional
 * marks, embeddings, overrides and isolates U+200E/U+200F, U+202A-U+202E, U+2066-U+2069, U+061C;
 * zero-width space, joiners, word joiner and the BOM; soft hyphen; tag characters), line and
 * paragraph separators, and lone surrogates. An override can make `invoice\u202Efdp.exe` display
 * as `invoiceexe.pdf`. The one exception is a zero-width joiner between two emoji, which is
 * visible as one emoji (👩‍💻) rather than hidden.
 */
const INVISIBLE =
  /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]|(?!\u200D)\p{Cf}|(?<![\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F])\u200D|\u200D(?!\p{Extended_Pictographic})/gu;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The name to store and show for what the client sent: its base name (no directories), NFC,
 * without invisible or control characters, trimmed, and at most 255 bytes of UTF-8. A name cut
 * short keeps its extension and is cut between characters (grapheme clusters), never inside one.
 */
export function safeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.normalize('NFC').replace(INVISIBLE, '').trim();
  if (clean === '' || clean === '.' || clean === '..') return 'unnamed';
  if (byteLength(clean) <= MAX_FILENAME_BYTES) return clean;
  const dot = clean.lastIndexOf('.');
  const extension = dot > 0 ? clean.slice(dot) : '';
  if (extension === '' || byteLength(extension) > MAX_EXTENSION_BYTES) return cut(clean, MAX_FILENAME_BYTES);
  const stem = cut(clean.slice(0, dot), MAX_FILENAME_BYTES - byteLength(extension)).trimEnd();
  return stem === '' ? cut(clean, MAX_FILENAME_BYTES) : stem + extension;
}

/**
 * The longest prefix of whole grapheme clusters that fits in `maxBytes` of UTF-8; a cluster too
 * big on its own (a letter under hundreds of combining marks) is cut between its code points.
 */
function cut(text: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = byteLength(segment);
    if (bytes + size <= maxBytes) {
      out += segment;
      bytes += size;
      continue;
    }
    if (out === '')
      for (const codePoint of segment) {
        if (bytes + byteLength(codePoint) > maxBytes) break;
        out += codePoint;
        bytes += byteLength(codePoint);
      }
    break;
  }
  return out;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
