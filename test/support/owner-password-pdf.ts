import { createHash } from 'node:crypto';
import { PDFArray, PDFDocument, PDFHexString, PDFName, PDFNumber, PDFRawStream } from 'pdf-lib';

/** The padding string of the PDF standard security handler (ISO 32000-1, 7.6.3.3). */
const PAD = Buffer.from('28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A', 'hex');
const PERMISSIONS = -44; // print and copy allowed, editing not

function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  const s = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i] + key[i % key.length]) & 255;
    [s[i], s[j]] = [s[j], s[i]];
  }
  const out = Buffer.alloc(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 255;
    j = (j + s[i]) & 255;
    [s[i], s[j]] = [s[j], s[i]];
    out[n] = data[n] ^ s[(s[i] + s[j]) & 255];
  }
  return out;
}

const md5 = (...parts: Uint8Array[]) => {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/**
 * The PDF encrypted with an owner password only (RC4 40-bit, revision 2): pdf.js opens it
 * without a password, while pdf-lib refuses to load it (EncryptedPDFError). Every stream is
 * encrypted; the source must hold no strings outside its Info dictionary, which is dropped.
 */
export async function ownerPasswordPdf(source: Uint8Array, ownerPassword = 'owner'): Promise<Uint8Array> {
  const doc = await PDFDocument.load(source, { updateMetadata: false });
  const { context } = doc;
  const id = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
  const owner = rc4(md5(Buffer.concat([Buffer.from(ownerPassword), PAD]).subarray(0, 32)).subarray(0, 5), PAD);
  const p = Buffer.alloc(4);
  p.writeInt32LE(PERMISSIONS);
  const fileKey = md5(PAD, owner, p, id).subarray(0, 5);

  for (const [ref, object] of context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFRawStream)) continue;
    const salt = Buffer.alloc(5);
    salt.writeUIntLE(ref.objectNumber, 0, 3);
    salt.writeUIntLE(ref.generationNumber, 3, 2);
    const key = md5(fileKey, salt).subarray(0, 10);
    context.assign(ref, PDFRawStream.of(object.dict, rc4(key, object.contents)));
  }
  const encrypt = context.obj({
    Filter: PDFName.of('Standard'),
    V: PDFNumber.of(1),
    R: PDFNumber.of(2),
    Length: PDFNumber.of(40),
    O: PDFHexString.of(owner.toString('hex')),
    U: PDFHexString.of(rc4(fileKey, PAD).toString('hex')),
    P: PDFNumber.of(PERMISSIONS),
  });
  context.trailerInfo.Encrypt = context.register(encrypt);
  context.trailerInfo.Info = undefined;
  const ids = PDFArray.withContext(context);
  ids.push(PDFHexString.of(id.toString('hex')));
  ids.push(PDFHexString.of(id.toString('hex')));
  context.trailerInfo.ID = ids;
  return doc.save({ useObjectStreams: false, updateFieldAppearances: false });
}
