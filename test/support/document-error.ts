import { DocumentError } from '../../src/common/document-error';

/** Awaits a promise that must reject with a DocumentError, and returns that error. */
export async function documentError(promise: Promise<unknown>): Promise<DocumentError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a DocumentError, but the promise resolved');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DocumentError);
  return error as DocumentError;
}
