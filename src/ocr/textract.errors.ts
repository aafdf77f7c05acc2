import { DocumentError } from '../common/document-error';

/** Transient: worth another attempt after a pause. */
const RETRYABLE = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'InternalServerError',
  'ServiceUnavailableException',
]);

/** The document itself is the problem: retrying the job cannot help. */
const REJECTED: Record<string, string> = {
  InvalidParameterException: 'Textract refused the request as invalid',
  UnsupportedDocumentException: 'Textract does not support this document format',
  BadDocumentException: 'Textract could not read the document (damaged or unsupported content)',
  DocumentTooLargeException:
    'The page is too large for Textract (synchronous calls take at most 10 MB and 10,000 pixels a side)',
};

/**
 * Our credentials or set-up, not the document: pointless to repeat at once, but the job is
 * retried later (a rotated key or a fixed policy makes it pass) instead of failing its files.
 */
const MISCONFIGURED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'ExpiredTokenException',
  'ExpiredToken',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'InvalidClientTokenId',
  'InvalidS3ObjectException',
  'NoSuchBucket',
]);

export interface AwsLikeError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

export function isMisconfigured(error: AwsLikeError): boolean {
  const status = error.$metadata?.httpStatusCode;
  return (error.name !== undefined && MISCONFIGURED.has(error.name)) || status === 401 || status === 403;
}

/** Our set-up is wrong (see MISCONFIGURED): retry the job later, never the document's fault. */
export function misconfiguredError(detail: string): DocumentError {
  return new DocumentError(
    'provider_unavailable',
    `AWS refused our credentials or configuration; check them, the bucket and the IAM policy (${detail})`,
    true,
  );
}

export function isRetryable(error: AwsLikeError): boolean {
  const status = error.$metadata?.httpStatusCode;
  if (error.name && RETRYABLE.has(error.name)) return true;
  if (status !== undefined && status >= 500) return true;
  // No HTTP answer at all (connection refused or reset, DNS): the service was not reached.
  return status === undefined && !(error.name && error.name in REJECTED) && error.name !== 'AbortError';
}

export function toDocumentError(error: AwsLikeError, attempts: number): DocumentError {
  const name = error.name ?? 'Error';
  const detail = error.message ? `: ${error.message}` : '';
  const rejected = REJECTED[name];
  if (rejected) return new DocumentError('textract_rejected', `${rejected} (${name}${detail})`);
  if (isMisconfigured(error)) return misconfiguredError(`${name}${detail}`);
  if (isRetryable(error)) {
    return new DocumentError(
      'provider_unavailable',
      `Textract is unavailable after ${attempts} attempts (${name}${detail})`,
      true,
    );
  }
  return new DocumentError('provider_unavailable', `Textract call failed (${name}${detail})`);
}
