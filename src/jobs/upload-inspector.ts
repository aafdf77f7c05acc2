import { fileTypeFromBuffer } from 'file-type';
import { InvalidRequest, UnsupportedMediaType } from '../common/errors';
import { textEncodingOf } from '../ocr/plain-text.reader';

/** The document types the pipeline reads, as sniffed from the bytes. */
export const SUPPORTED_TYPES = [
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/tiff',
  'image/webp',
  'text/plain',
] as const;
export type SupportedType = (typeof SUPPORTED_TYPES)[number];

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PDF readers accept a header anywhere in the first KiB (junk before it is common). */
const PDF_HEADER_WINDOW = 1024;

/**
 * Decides a file's type from its bytes, never from its name or the client's Content-Type, and
 * refuses what the pipeline cannot read. Cheap: it looks at the first bytes only.
 */
export async function sniffContentType(filename: string, bytes: Buffer): Promise<SupportedType> {
  if (bytes.length === 0) throw new InvalidRequest(`file '${filename}' is empty`);
  if (bytes.subarray(0, PDF_HEADER_WINDOW).includes('%PDF-')) return 'application/pdf';
  // A damaged PNG is still a PNG the client meant to send: let the pipeline say what is wrong.
  if (bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  const sniffed = await fileTypeFromBuffer(bytes);
  if (sniffed) {
    if ((SUPPORTED_TYPES as readonly string[]).includes(sniffed.mime)) return sniffed.mime as SupportedType;
    throw new UnsupportedMediaType(
      `file '${filename}' is ${sniffed.mime}; supported types are PDF, PNG, JPEG, TIFF, WebP and plain text`,
    );
  }
  const text = textHead(bytes);
  if (text !== undefined) {
    if (text.trim() === '') throw new InvalidRequest(`file '${filename}' has no content`);
    return 'text/plain';
  }
  throw new UnsupportedMediaType(
    `file '${filename}' is not a recognised document; supported types are PDF, PNG, JPEG, TIFF, WebP and plain text`,
  );
}

/**
 * The first 8 KiB decoded, when they read as text: UTF-8, or UTF-16 (with a BOM, or BOM-less
 * Latin text), with no NUL and few control characters; undefined for anything else.
 */
function textHead(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 8192);
  const decoded = new TextDecoder(textEncodingOf(head), { fatal: false }).decode(head);
  let bad = 0;
  for (const ch of decoded) {
    const c = ch.codePointAt(0)!;
    if (c === 0xfffd || (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12)) bad++;
  }
  if (decoded.includes('\0') || bad > decoded.length * 0.02) return undefined;
  return decoded;
}
