import type { DocumentOutcome } from '../../src/jobs/job.model';
import { JobQueue } from '../../src/jobs/job-queue.port';
import { OutcomeWriter } from '../../src/worker/outcome-writer';
import { done } from '../support/fixtures';

const outcome = (jobId: string): DocumentOutcome => done(jobId, 0, jobId);

/** A store whose writes refuse any batch holding the job 'poison', and record every call. */
function recordingStore() {
  const calls: string[][] = [];
  const store = {
    record(_worker: string, outcomes: DocumentOutcome[]): Promise<string[]> {
      calls.push(outcomes.map((o) => o.jobId));
      if (outcomes.some((o) => o.jobId === 'poison')) return Promise.reject(new Error('invalid input syntax'));
      return Promise.resolve(outcomes.map((o) => o.jobId));
    },
  } as unknown as JobQueue;
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
