import { crc32, deflateSync } from 'node:zlib';
import { makeTextPdf } from '../support/fixtures';
import { ownerPasswordPdf } from '../support/owner-password-pdf';

/**
 * A PDF of `pages` pages written by hand (pdf-lib takes too long for 10,000): one page tree, one
 * shared content stream with a text layer, and a correct cross-reference table.
 */
export function manyPagePdf(pages: number): Buffer {
  const objects: string[] = [];
  const first = 5; // 1 catalog, 2 page tree, 3 font, 4 content stream; pages from 5
  const kids = Array.from({ length: pages }, (_, i) => `${first + i} 0 R`).join(' ');
  const text = 'BT /F1 12 Tf 50 780 Td (INVOICE no. 17 - amount due 1,200.00 EUR - payment terms 30 days) Tj ET';
  objects.push('<< /Type /Catalog /Pages 2 0 R >>');
  objects.push(`<< /Type /Pages /Count ${pages} /Kids [${kids}] >>`);
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  objects.push(`<< /Length ${text.length} >>\nstream\n${text}\nendstream`);
  for (let i = 0; i < pages; i++)
    objects.push(
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>',
    );
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/**
 * A decompression bomb: a PNG that claims `side` x `side` pixels (grey, 8 bits) whose IDAT is a
 * few KiB of deflated zeros; decoding it whole would take side² bytes.
 */
export function pngBomb(side = 100_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  // The first rows only (each: filter byte + side zero bytes): enough to start a decoder off.
  const idat = deflateSync(Buffer.alloc((side + 1) * 64), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A small real PNG (a 2x2 grey image). */
export function tinyPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  const idat = deflateSync(Buffer.from([0, 128, 128, 0, 128, 128]));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An empty ZIP archive (its end-of-central-directory record alone). */
function emptyZip(): Buffer {
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  return eocd;
}

export interface HostileFile {
  name: string;
  bytes: Buffer;
  /** The client's Content-Type claim (never trusted). */
  type?: string;
}

/** The generated cases of the issue that are files: each answered with a 4xx or a per-file outcome. */
export async function generatedFiles(): Promise<Array<{ title: string; files: HostileFile[] }>> {
  const pdf = await makeTextPdf(['INVOICE no. 4711\nAmount due: 99.00 EUR\nPayment terms: 14 days']);
  return [
    { title: 'zero bytes', files: [{ name: 'empty.pdf', bytes: Buffer.alloc(0) }] },
    {
      title: 'truncated PDF',
      files: [{ name: 'truncated.pdf', bytes: pdf.subarray(0, Math.floor(pdf.length * 0.6)) }],
    },
    { title: 'a PDF of 10,000 pages', files: [{ name: 'ten-thousand-pages.pdf', bytes: manyPagePdf(10_000) }] },
    { title: 'a decompression-bomb PNG (100,000 x 100,000)', files: [{ name: 'bomb.png', bytes: pngBomb() }] },
    {
      title: 'an encrypted PDF (owner password)',
      files: [{ name: 'owner-password.pdf', bytes: Buffer.from(await ownerPasswordPdf(new Uint8Array(pdf))) }],
    },
    {
      title: 'polyglots',
      files: [
        { name: 'pdf-and-zip.pdf', bytes: Buffer.concat([pdf, emptyZip()]) },
        { name: 'gifar.gif', bytes: Buffer.from('GIF89a/*\x00\x00\x00\x00*/=1;alert(document.domain)//', 'latin1') },
        {
          name: 'html-pdf.html',
          bytes: Buffer.from('<html><script>alert(1)</script>\n%PDF-1.4\n1 0 obj << >> endobj\n</html>'),
          type: 'text/html',
        },
        { name: 'png-with-script.png', bytes: Buffer.concat([tinyPng(), Buffer.from('<?php system($_GET["c"]); ?>')]) },
      ],
    },
    {
      title: 'wrong extensions',
      files: [
        { name: 'really-a-png.pdf', bytes: tinyPng(), type: 'application/pdf' },
        { name: 'really-a-pdf.jpg', bytes: pdf, type: 'image/jpeg' },
        {
          name: 'receipt.exe',
          bytes: Buffer.from('RECEIPT\nCASH PAID 12.50\nTHANK YOU'),
          type: 'application/x-msdownload',
        },
      ],
    },
    {
      title: 'a type we do not read (an ELF binary)',
      files: [
        { name: 'tool.txt', bytes: Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(64)]) },
      ],
    },
  ];
}

/** The file names of the issue, each on a small text file. */
export const HOSTILE_NAMES: Array<[string, string]> = [
  ['300 characters', `${'n'.repeat(296)}.txt`],
  ['path traversal (POSIX)', '../../../../etc/passwd'],
  ['path traversal (Windows)', '..\\..\\Windows\\win.ini'],
  ['bidirectional override', 'invoice\u202Efdp.exe'],
  ['control characters', 'a\u0001b\u0007c\u001b[31m\u007f.txt'],
  ['only dots', '..'],
  ['one dot', '.'],
  ['a directory that ends in dots', 'scans/..'],
];
