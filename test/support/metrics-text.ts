/**
 * Reads one sample from Prometheus' text format: `name{labels} value`. The labels given must all
 * match (others on the line are ignored); undefined when no line matches.
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/** A counter that was never incremented is absent from the scrape: read it as 0. */
export function count(text: string, name: string, labels: Record<string, string> = {}): number {
  return sample(text, name, labels) ?? 0;
}
