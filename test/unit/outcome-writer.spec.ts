import type { DocumentOutcome } from '../../src/jobs/job.model';
import { JobQueue } from '../../src/jobs/job-queue.port';
import { OutcomeWriter } from '../../src/worker/outcome-writer';
import { done } from '../support/fixtures';

const outcome = (jobId: string): DocumentOutcome => done(jobId, 0, jobId);

/** A store whose writes take `ms`, refuse any batch holding the job 'poison', and record every call. */
function recordingStore(ms = 0) {
  const calls: string[][] = [];
  const store = {
    async record(_worker: string, outcomes: DocumentOutcome[]): Promise<string[]> {
      calls.push(outcomes.map((o) => o.jobId));
      await new Promise((r) => setTimeout(r, ms));
      if (outcomes.some((o) => o.jobId === 'poison')) throw new Error('invalid input syntax');
      return outcomes.map((o) => o.jobId);
    },
  } as unknown as JobQueue;
  return { store, calls };
}

describe('OutcomeWriter', () => {
  it('writes the outcomes of one turn of the event loop in one call', async () => {
    const { store, calls } = recordingStore();
    const writer = new OutcomeWriter(store, 'w1');
    await Promise.all(['a', 'b', 'c'].map((id) => writer.write(outcome(id))));
    expect(calls).toEqual([['a', 'b', 'c']]);
  });

  it('batches outcomes that arrive while a write is in flight', async () => {
    const { store, calls } = recordingStore(30);
    const writer = new OutcomeWriter(store, 'w1');
    const first = writer.write(outcome('a'));
    while (calls.length === 0) await new Promise((r) => setImmediate(r)); // 'a' is being written
    await Promise.all([first, writer.write(outcome('b')), writer.write(outcome('c'))]);
    expect(calls).toEqual([['a'], ['b', 'c']]);
  });

  it('writes a failed batch one by one, so one bad outcome fails alone', async () => {
    const { store, calls } = recordingStore();
    const writer = new OutcomeWriter(store, 'w1');
    const results = await Promise.allSettled(['a', 'b', 'poison', 'c'].map((id) => writer.write(outcome(id))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toEqual([['a', 'b', 'poison', 'c'], ['a'], ['b'], ['poison'], ['c']]);
  });
});
