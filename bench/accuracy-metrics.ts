/**
 * Classification quality figures: per-class precision, recall and F1, macro-F1, the confusion
 * matrix, and expected calibration error with the reliability bins it is made of.
 */

export interface Judged {
  /** The right label. */
  truth: string;
  /** The label given ('other' included). */
  label: string;
  /** The confidence given with it, 0..1. */
  confidence: number;
}

export interface ClassFigures {
  label: string;
  support: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Per class of `classes` (the true labels that occur); a prediction outside them only costs recall. */
export function perClassFigures(judged: readonly Judged[], classes: readonly string[]): ClassFigures[] {
  return classes.map((label) => {
    const tp = judged.filter((j) => j.truth === label && j.label === label).length;
    const predicted = judged.filter((j) => j.label === label).length;
    const support = judged.filter((j) => j.truth === label).length;
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, support, precision, recall, f1 };
  });
}

export function macroF1(figures: readonly ClassFigures[]): number {
  return figures.reduce((sum, f) => sum + f.f1, 0) / figures.length;
}

export function accuracyOf(judged: readonly Judged[]): number {
  return judged.filter((j) => j.truth === j.label).length / judged.length;
}

/** rows: true label; columns: the classes, then every other label given, in first-seen order. */
export function confusion(
  judged: readonly Judged[],
  classes: readonly string[],
): { columns: string[]; rows: Array<{ label: string; counts: number[] }> } {
  const columns = [...classes];
  for (const j of judged) if (!columns.includes(j.label)) columns.push(j.label);
  const rows = classes.map((label) => ({
    label,
    counts: columns.map((c) => judged.filter((j) => j.truth === label && j.label === c).length),
  }));
  return { columns, rows };
}

export interface ReliabilityBin {
  /** [from, to) of confidence; the last bin includes 1. */
  from: number;
  to: number;
  count: number;
  /** Mean confidence in the bin (NaN when empty). */
  confidence: number;
  /** Share right in the bin (NaN when empty). */
  accuracy: number;
}

/** Equal-width bins over [0, 1]. */
export function reliabilityBins(judged: readonly Judged[], bins = 10): ReliabilityBin[] {
  return Array.from({ length: bins }, (_, i) => {
    const from = i / bins;
    const to = (i + 1) / bins;
    const inBin = judged.filter((j) => binOf(j.confidence, bins) === i);
    const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
    return {
      from,
      to,
      count: inBin.length,
      confidence: mean(inBin.map((j) => j.confidence)),
      accuracy: mean(inBin.map((j) => (j.truth === j.label ? 1 : 0))),
    };
  });
}

/** Expected calibration error: the count-weighted mean |accuracy - confidence| over the bins. */
export function expectedCalibrationError(judged: readonly Judged[], bins = 10): number {
  const total = judged.length;
  return reliabilityBins(judged, bins)
    .filter((b) => b.count > 0)
    .reduce((sum, b) => sum + (b.count / total) * Math.abs(b.accuracy - b.confidence), 0);
}

function binOf(confidence: number, bins: number): number {
  return Math.min(bins - 1, Math.max(0, Math.floor(confidence * bins)));
}
