/**
 * `attachment` with the file's name twice: an ASCII fallback (quotes, backslashes, control and
 * non-ASCII characters replaced) and the exact name as RFC 5987 `filename*=UTF-8''…`, so no name
 * can break out of the header or smuggle a path.
 */
export function attachmentDisposition(filename: string): string {
  const base = filename.split(/[/\\]/).pop() || 'file';
  const fallback = base.replace(/[^\x20-\x7e]|["\\%;]/g, '_') || 'file';
  const encoded = encodeURIComponent(base).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
