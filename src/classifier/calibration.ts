/**
 * Turning the local model's class scores into probabilities that mean what they say: among
 * documents given 0.8, about 80% are right. Temperature scaling (one parameter, so 88 corpus
 * documents can fit it without learning the corpus by heart): p = softmax(score / T).
 */
export interface LocalCalibration {
  /** Softmax temperature over the class scores (scores are roughly in [0, 2]). */
  temperature: number;
}

/**
 * Fitted by `npm run bench:accuracy` (it prints "fitted temperature"): the temperature that
 * minimises the negative log-likelihood of the right class over the corpus's leave-one-source-out
 * scores (each document scored by a model trained on the taxonomy plus the documents of every
 * other source, 88 documents from 20 sources). The bench also reports ECE with the temperature
 * fitted without the judged document's source (cross-fitted), the honest figure.
 */
export const LOCAL_CALIBRATION: LocalCalibration = { temperature: 0.06 };

/** softmax(x / T): positive, sums to 1, order-preserving. */
export function calibratedProbabilities(scores: readonly number[], calibration: LocalCalibration): number[] {
  if (scores.length === 0) return [];
  const max = Math.max(...scores);
  const exps = scores.map((x) => Math.exp((x - max) / calibration.temperature));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** One scored document: every class's score and the index of the right class. */
export interface ScoredSample {
  scores: readonly number[];
  truth: number;
}

/**
 * The temperature minimising the mean negative log-likelihood of the right class, searched on a
 * log scale between `min` and `max` (golden-section search; the NLL is unimodal in log T for
 * softmax temperature scaling).
 */
export function fitTemperature(samples: readonly ScoredSample[], min = 0.005, max = 2): number {
  if (samples.length === 0) return LOCAL_CALIBRATION.temperature;
  const nll = (logT: number) => {
    const calibration = { temperature: Math.exp(logT) };
    let sum = 0;
    for (const s of samples) sum -= Math.log(Math.max(1e-12, calibratedProbabilities(s.scores, calibration)[s.truth]));
    return sum / samples.length;
  };
  const ratio = (Math.sqrt(5) - 1) / 2;
  let lo = Math.log(min);
  let hi = Math.log(max);
  let a = hi - ratio * (hi - lo);
  let b = lo + ratio * (hi - lo);
  let fa = nll(a);
  let fb = nll(b);
  for (let i = 0; i < 80; i++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - ratio * (hi - lo);
      fa = nll(a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + ratio * (hi - lo);
      fb = nll(b);
    }
  }
  return Math.exp((lo + hi) / 2);
}
