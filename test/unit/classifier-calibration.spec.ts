import {
  bestTypeConfidence,
  calibratedProbabilities,
  fitConfidence,
  fitTemperature,
  LOCAL_CALIBRATION,
  scoreMargin,
} from '../../src/classifier/calibration';

describe('calibration', () => {
  it('turns scores into probabilities that are bounded, sum to one and keep the order', () => {
    const scores = [1.4, 0.2, 0.9, 0.2, -0.3];
    const p = calibratedProbabilities(scores, LOCAL_CALIBRATION);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (const x of p) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1);
    }
    expect(p[0]).toBeGreaterThan(p[2]);
    expect(p[2]).toBeGreaterThan(p[1]);
    expect(p[1]).toBe(p[3]);
  });

  it('measures how far a score is ahead of the best other one', () => {
    expect(scoreMargin(0.9, [0.3, 0.6, 0.1])).toBeCloseTo(0.3, 12);
    expect(scoreMargin(0.4, [0.6, 0.1])).toBeCloseTo(-0.2, 12);
    expect(scoreMargin(0.7, [])).toBe(0.7);
  });

  it("gives a best type's confidence that grows with its lead and its score, within (0, 1)", () => {
    let previous = 0;
    for (const margin of [-0.5, 0, 0.05, 0.1, 0.3, 0.6, 1, 2]) {
      const c = bestTypeConfidence(margin, 0.5, LOCAL_CALIBRATION);
      expect(c).toBeGreaterThan(previous);
      expect(c).toBeLessThan(1);
      previous = c;
    }
    const scores = [0, 0.2, 0.5, 1, 2].map((score) => bestTypeConfidence(0.2, score, LOCAL_CALIBRATION));
    expect([...scores].sort((a, b) => a - b)).toEqual(scores);
    expect(scores[0]).toBeGreaterThan(0);
  });

  it('recovers the temperature that generated the labels', () => {
    // Three classes with fixed scores; the right class is drawn from softmax(score / 0.2).
    const scores = [0.9, 0.6, 0.1];
    const truth = calibratedProbabilities(scores, { temperature: 0.2 });
    const samples = [];
    for (let i = 0; i < 1000; i++) {
      const u = (i + 0.5) / 1000;
      samples.push({ scores, truth: u < truth[0] ? 0 : u < truth[0] + truth[1] ? 1 : 2 });
    }
    expect(fitTemperature(samples)).toBeCloseTo(0.2, 2);
  });

  it('fits the confidence step so that confidences match the share right', () => {
    // Half of the documents with a lead of 0.05 are right, 9 in 10 of those with 1.5.
    const samples = [
      ...Array.from({ length: 100 }, (_, i) => ({ margin: 0.05, score: 0.5, right: i % 2 === 0 })),
      ...Array.from({ length: 100 }, (_, i) => ({ margin: 1.5, score: 0.5, right: i % 10 !== 0 })),
    ];
    const fitted = { temperature: 1, ...fitConfidence(samples) };
    expect(bestTypeConfidence(0.05, 0.5, fitted)).toBeCloseTo(0.5, 1);
    expect(bestTypeConfidence(1.5, 0.5, fitted)).toBeCloseTo(0.9, 1);
  });

  it('keeps the weights finite when the right and wrong best types are separable', () => {
    const samples = [
      ...Array.from({ length: 20 }, () => ({ margin: 0.02, score: 0.2, right: false })),
      ...Array.from({ length: 20 }, () => ({ margin: 0.5, score: 0.9, right: true })),
    ];
    const fitted = { temperature: 1, ...fitConfidence(samples) };
    for (const w of [fitted.marginWeight, fitted.scoreWeight, fitted.bias]) expect(Number.isFinite(w)).toBe(true);
    expect(Math.abs(fitted.marginWeight) + Math.abs(fitted.scoreWeight)).toBeLessThan(100);
    expect(bestTypeConfidence(0.02, 0.2, fitted)).toBeLessThan(0.2);
    expect(bestTypeConfidence(0.5, 0.9, fitted)).toBeGreaterThan(0.8);
  });
});
