import { JOB_EVENTS_CHANNEL, JobEventsWatcher } from '../../src/live/job-events.watcher';
import { Wakeup } from '../../src/live/wakeup';

/** A LISTEN that the test notifies by hand, recording what was opened and closed. */
class FakeListen {
  channels: string[] = [];
  stopped = 0;
  private handler: ((payload: string) => void) | null = null;
  readonly listen = async (channel: string, onNotify: (payload: string) => void) => {
    this.channels.push(channel);
    this.handler = onNotify;
    return async () => {
      this.stopped++;
      this.handler = null;
    };
  };
  notify(payload: string): void {
    this.handler?.(payload);
  }
}

describe('JobEventsWatcher', () => {
  it('shares one LISTEN, wakes the jobs a notification names, and every job on an empty one', async () => {
    const fake = new FakeListen();
    const watched: string[][] = [];
    const watcher = new JobEventsWatcher({
      listen: fake.listen,
      watch: async (ids) => void watched.push(ids),
      pollIntervalMs: 10,
      safetyPollIntervalMs: 600_000,
    });
    const woken: string[] = [];
    const stopA = await watcher.subscribe('a', () => woken.push('a'));
    const stopB = await watcher.subscribe('b', () => woken.push('b'));
    await watcher.subscribe('c', () => woken.push('c'));
    await watcher.subscribe('c', () => undefined);
    expect(fake.channels).toEqual([JOB_EVENTS_CHANNEL]);
    // Each followed job is watched once, before its subscription answers.
    expect(watched).toEqual([['a'], ['b'], ['c']]);

    fake.notify('a,b');
    expect(woken.sort()).toEqual(['a', 'b']);
    woken.length = 0;
    fake.notify('');
    expect(woken.sort()).toEqual(['a', 'b', 'c']);

    woken.length = 0;
    stopA();
    stopA(); // twice is once
    stopB();
    fake.notify('a,b,c');
    expect(woken).toEqual(['c']);
    expect(watcher.subscriberCount()).toBe(2);

    await watcher.onModuleDestroy();
    expect(fake.stopped).toBe(1);
    expect(watcher.stopping.aborted).toBe(true);
  });

  it('polls without LISTEN while anyone follows, and stops when nobody does', async () => {
    const watcher = new JobEventsWatcher({ pollIntervalMs: 5, safetyPollIntervalMs: 600_000 });
    let ticks = 0;
    const wakeup = new Wakeup();
    const stop = await watcher.subscribe('a', () => {
      ticks++;
      wakeup.set();
    });
    await wakeup.wait(new AbortController().signal);
    await wakeup.wait(new AbortController().signal);
    expect(ticks).toBeGreaterThanOrEqual(2);
    stop();
    const after = ticks;
    await new Promise((r) => setTimeout(r, 30));
    expect(ticks).toBe(after);
    await watcher.onModuleDestroy();
  });

  it('falls back to polling when LISTEN fails', async () => {
    const watcher = new JobEventsWatcher({
      listen: () => Promise.reject(new Error('no session')),
      pollIntervalMs: 5,
      safetyPollIntervalMs: 600_000,
    });
    const wakeup = new Wakeup();
    const stop = await watcher.subscribe('a', () => wakeup.set());
    await wakeup.wait(new AbortController().signal);
    stop();
    await watcher.onModuleDestroy();
  });
});

describe('Wakeup', () => {
  it('remembers a set() that came before the wait', async () => {
    const w = new Wakeup();
    w.set();
    await w.wait(new AbortController().signal);
    let resolved = false;
    const next = w.wait(new AbortController().signal).then(() => (resolved = true));
    await Promise.resolve();
    expect(resolved).toBe(false);
    w.set();
    await next;
    expect(resolved).toBe(true);
  });

  it('returns on abort', async () => {
    const w = new Wakeup();
    const abort = new AbortController();
    const waiting = w.wait(abort.signal);
    abort.abort();
    await expect(waiting).resolves.toBeUndefined();
  });
});
