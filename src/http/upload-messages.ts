/** The upload's own error messages, shared by the interceptor, the engine and the API document. */

/** A 413 that names the file and the limit. */
export function fileTooLargeMessage(filename: string | undefined, maxFileBytes: number): string {
  return `${filename ? `file '${filename}'` : 'a file'} is larger than the upload limit of ${maxFileBytes / 1024 / 1024} MB per file`;
}

/** A 415 for a body that is not multipart (a JSON body, a raw file): says how to send one. */
export function notMultipartMessage(contentType: string): string {
  return `the request body is ${contentType}; send the files as multipart/form-data in a field named 'files' (curl -F files=@invoice.pdf)`;
}
