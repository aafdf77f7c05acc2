import type { FileOutcome } from '../../src/jobs/job.model';
import { JobStore } from '../../src/jobs/job-store.port';
import { OutcomeWriter } from '../../src/worker/outcome-writer';
import { documentResult } from '../support/fixtures';

const outcome = (jobId: string): FileOutcome => ({
  jobId,
  position: 0,
  status: 'completed',
  result: documentResult(),
  text: jobId,
});

/** A store whose writes refuse any batch holding the job 'poison', and record every call. */
function recordingStore() {
  const calls: string[][] = [];
  const store = {
    recordFileOutcomes(_worker: string, outcomes: FileOutcome[]): Promise<string[]> {
      calls.push(outcomes.map((o) => o.jobId));
      if (outcomes.some((o) => o.jobId === 'poison')) return Promise.reject(new Error('invalid input syntax'));
      return Promise.resolve(outcomes.map((o) => o.jobId));
    },
  } as unknown as JobStore;
  return { store, calls };
}

describe('OutcomeWriter', () => {
  it('batches outcomes that arrive while a write is in flight', async () => {
    const { store, calls } = recordingStore();
    const writer = new OutcomeWriter(store, 'w1');
    await Promise.all(['a', 'b', 'c'].map((id) => writer.write(outcome(id))));
    expect(calls).toEqual([['a'], ['b', 'c']]);
  });

  it('writes a failed batch one by one, so one bad outcome fails alone', async () => {
    const { store, calls } = recordingStore();
    const writer = new OutcomeWriter(store, 'w1');
    const results = await Promise.allSettled(['a', 'b', 'poison', 'c'].map((id) => writer.write(outcome(id))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toEqual([['a'], ['b', 'poison', 'c'], ['b'], ['poison'], ['c']]);
  });
});
