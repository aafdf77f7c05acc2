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

/** Mean log-loss of the confidences (is the judged label right?): a proper score, unbinned. */
export function logLoss(judged: readonly Judged[]): number {
  const clamp = (p: number) => Math.min(1 - 1e-6, Math.max(1e-6, p));
  const sum = judged.reduce((s, j) => {
    const p = clamp(j.confidence);
    return s - (j.truth === j.label ? Math.log(p) : Math.log(1 - p));
  }, 0);
  return sum / judged.length;
}

/**
 * A percentile bootstrap interval of the ECE (documents resampled with replacement, a seeded
 * generator so runs agree): how much the figure moves with which documents happen to be there.
 */
export function bootstrapEce(judged: readonly Judged[], resamples = 1000, level = 0.95, seed = 1): [number, number] {
  if (judged.length === 0) return [Number.NaN, Number.NaN];
  let state = seed >>> 0;
  // mulberry32: small, fast, good enough to draw indices.
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const eces = Array.from({ length: resamples }, () =>
    expectedCalibrationError(Array.from({ length: judged.length }, () => judged[Math.floor(random() * judged.length)])),
  ).sort((a, b) => a - b);
  const at = (q: number) => eces[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))];
  return [at((1 - level) / 2), at((1 + level) / 2)];
}
