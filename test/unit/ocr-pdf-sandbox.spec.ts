import { DocumentError } from '../../src/common/document-error';
import { DEFAULT_SANDBOX_LIMITS, PdfSandbox, PdfSandboxLimits } from '../../src/ocr/pdf/pdf-sandbox';
import { inflatingPdf, textPdf } from '../support/ocr-fixtures';

jest.setTimeout(60_000);

const limits: PdfSandboxLimits = { maxImagePixels: 40_000_000, ...DEFAULT_SANDBOX_LIMITS, externalMemoryLimitMb: 64 };

describe('PdfSandbox memory budget', () => {
  it('stops the sandbox that overspends and lets another file in flight finish', async () => {
    const signal = AbortSignal.timeout(60_000);
    const [hog, fine] = await Promise.all([
      PdfSandbox.open(await inflatingPdf(400), limits, signal),
      PdfSandbox.open(await textPdf(['A page with a normal text layer, read alongside the hog']), limits, signal),
    ]);
    try {
      const [hogText, fineText] = await Promise.allSettled([hog.text(1), fine.text(1)]);
      expect(hogText.status).toBe('rejected');
      const error = (hogText as PromiseRejectedResult).reason as DocumentError;
      expect(error).toMatchObject({ code: 'resource_limit' });
      expect(error.message).toContain('64 MB');
      expect(fineText).toEqual({ status: 'fulfilled', value: expect.stringContaining('normal text layer') });
    } finally {
      await Promise.all([hog.close(), fine.close()]);
    }
  });
});
