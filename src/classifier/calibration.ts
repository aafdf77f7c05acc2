/**
 * Turning the local model's class scores into probabilities that mean what they say: among
 * documents given 0.8, about 80% are right. Two steps, few parameters (so 88 corpus documents
 * can fit them without learning the corpus by heart):
 * 1. temperature scaling: every type's probability p = softmax(score / T), the distribution over
 *    all types (the ranking, the answer when a request narrows the types);
 * 2. the best type's confidence = sigmoid(marginWeight * margin + scoreWeight * score + bias),
 *    where margin is how far the best type's score is ahead of the runner-up's and score is how
 *    much evidence there is at all (a photo whose OCR read ten words can be far ahead on little
 *    evidence). Both features are raw scores, on the same scale and independent of T: the step
 *    does not inherit the temperature's errors, and one L2 penalty towards 0 treats both alike.
 *    (It used logit(softmax) instead, with its slope pulled towards 1, i.e. towards trusting the
 *    softmax: on PaddleOCR's text that left the top bin overconfident (0.97 said, 0.955 right)
 *    and the [0.8, 0.9) bin underconfident (0.86 said, all 16 right), ECE 0.062.)
 */
export interface LocalCalibration {
  /** Softmax temperature over the class scores (scores are roughly in [0, 2]). */
  temperature: number;
  /** Weight of the best type's lead over the runner-up (score units). */
  marginWeight: number;
  /** Weight of the best type's own score. */
  scoreWeight: number;
  bias: number;
}

/**
 * Fitted by `BENCH_ACCURACY_CER=0 BENCH_ACCURACY_OCR=0 npm run bench:accuracy` (OCR text from
 * the bench's cache), which prints "fitted on all
 * leave-one-source-out scores:" (copy the four figures here when the model, the taxonomy or the
 * OCR changes): each corpus document (88, from 20 sources) is scored by a model trained on the
 * taxonomy plus the documents of every other source; the temperature minimises the negative
 * log-likelihood of the right type over those scores, then marginWeight, scoreWeight and bias
 * minimise the log-loss of "the best type is right" (logistic regression, L2 0.1 towards 0). The
 * bench also reports ECE with both steps fitted without the judged document's source
 * (cross-fitted), the honest figure: 0.037 when these were fitted (on PaddleOCR's text of the
 * corpus images, the production default; bootstrap 95% interval [0.017, 0.090]: with 6 wrong
 * best types in 88, ECE moves by a few hundredths with the sample), against 0.062 for the
 * logit(softmax) step it replaced; cross-fitted log-loss 0.228 against 0.237.
 */
export const LOCAL_CALIBRATION: LocalCalibration = {
  temperature: 0.0771,
  marginWeight: 2.023,
  scoreWeight: 3.75,
  bias: -0.354,
};

/**
 * How far a type's score is ahead of the best other type's (negative when it is behind one; its
 * own score when it is alone).
 */
export function scoreMargin(score: number, otherScores: readonly number[]): number {
  return otherScores.length === 0 ? score : score - Math.max(...otherScores);
}

/** The best type's calibrated confidence, from its lead over the runner-up and its score. */
export function bestTypeConfidence(margin: number, score: number, c: LocalCalibration): number {
  return sigmoid(c.marginWeight * margin + c.scoreWeight * score + c.bias);
}

/** softmax(x / T): positive, sums to 1, order-preserving. */
export function calibratedProbabilities(
  scores: readonly number[],
  calibration: Pick<LocalCalibration, 'temperature'>,
): number[] {
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

/** One best type: its lead over the runner-up, its score, and whether it was right. */
export interface BestTypeSample {
  margin: number;
  score: number;
  right: boolean;
}

/**
 * marginWeight, scoreWeight and bias minimising the log-loss of "the best type is right"
 * (logistic regression on two features, Newton's method with a little L2 towards 0 on both
 * weights, the bias free: with a handful of wrong documents the likelihood is flat, and the
 * penalty keeps the weights from chasing them or going to infinity on a separable corpus).
 */
export function fitConfidence(
  samples: readonly BestTypeSample[],
): Pick<LocalCalibration, 'marginWeight' | 'scoreWeight' | 'bias'> {
  const rows = samples.map((s) => ({ x: [s.margin, s.score, 1], y: s.right ? 1 : 0 }));
  let w = [0, 0, 0];
  const l2 = 0.1;
  const loss = (v: number[]) => {
    let sum = (l2 * (v[0] ** 2 + v[1] ** 2)) / 2;
    for (const { x, y } of rows) {
      const p = clamp(sigmoid(x[0] * v[0] + x[1] * v[1] + x[2] * v[2]));
      sum -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
    }
    return sum;
  };
  for (let iteration = 0; iteration < 50; iteration++) {
    const gradient = [0, 0, 0];
    const hessian = [
      [l2, 0, 0],
      [0, l2, 0],
      [0, 0, 1e-6],
    ];
    for (let k = 0; k < 2; k++) gradient[k] += l2 * w[k];
    for (const { x, y } of rows) {
      const p = sigmoid(x[0] * w[0] + x[1] * w[1] + x[2] * w[2]);
      for (let i = 0; i < 3; i++) {
        gradient[i] += (p - y) * x[i];
        for (let j = 0; j < 3; j++) hessian[i][j] += p * (1 - p) * x[i] * x[j];
      }
    }
    // Damped Newton: halve the step until the loss goes down (plain Newton can overshoot).
    const step = solve3(hessian, gradient);
    const before = loss(w);
    let scale = 1;
    let next = w.map((v, i) => v - step[i]);
    while (loss(next) > before && scale > 1e-6) {
      scale /= 2;
      next = w.map((v, i) => v - scale * step[i]);
    }
    w = next;
    if (Math.max(...step.map((x) => Math.abs(x * scale))) < 1e-9) break;
  }
  return { marginWeight: w[0], scoreWeight: w[1], bias: w[2] };
}

function solve3(a: number[][], b: number[]): number[] {
  const m = a.map((row, i) => [...row, b[i]]);
  for (let col = 0; col < 3; col++) {
    let pivot = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let r = 0; r < 3; r++) {
      if (r === col || m[col][col] === 0) continue;
      const f = m[r][col] / m[col][col];
      for (let c = col; c < 4; c++) m[r][c] -= f * m[col][c];
    }
  }
  return m.map((row, i) => (row[i] === 0 ? 0 : row[3] / row[i]));
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Keeps the log-loss finite: a sigmoid can round to exactly 0 or 1. */
function clamp(p: number): number {
  return Math.min(1 - 1e-6, Math.max(1e-6, p));
}
