import { DocumentError } from '../../src/common/document-error';
import { PoolClosedError, ResourcePool } from '../../src/ocr/resource-pool';

/** A promise the test settles by hand. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets queued promise callbacks run (no timers involved). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

class Resources {
  created = 0;
  readonly destroyed: number[] = [];
  failNext = 0;
  pool(size: number) {
    return new ResourcePool<number>(
      size,
      () => (this.failNext-- > 0 ? Promise.reject(new Error('cannot start')) : Promise.resolve(++this.created)),
      (id) => {
        this.destroyed.push(id);
        return Promise.resolve();
      },
    );
  }
}

describe('ResourcePool', () => {
  it('starts resources on demand, at most `size`, and runs that many tasks at once', async () => {
    const resources = new Resources();
    const pool = resources.pool(2);
    const gates = [deferred(), deferred(), deferred()];
    const running: number[] = [];
    const tasks = gates.map((gate, i) =>
      pool.use(async (id) => {
        running.push(i);
        await gate.promise;
        return id;
      }),
    );
    await settle();
    expect(running).toEqual([0, 1]);
    expect(resources.created).toBe(2);
    gates[0].resolve();
    await settle();
    expect(running).toEqual([0, 1, 2]);
    gates[1].resolve();
    gates[2].resolve();
    // The third task reuses the resource the first one released.
    expect(await Promise.all(tasks)).toEqual([1, 2, 1]);
    expect(pool.startedCount).toBe(2);
  });

  it('drops a waiting task whose signal fires, without ever running it', async () => {
    const pool = new Resources().pool(1);
    const gate = deferred();
    const first = pool.use(() => gate.promise);
    const controller = new AbortController();
    const ran = jest.fn();
    const second = pool.use(() => Promise.resolve(ran()), controller.signal);
    controller.abort();
    await expect(second).rejects.toMatchObject({ code: 'timeout' });
    gate.resolve();
    await first;
    expect(ran).not.toHaveBeenCalled();
  });

  it('gives a resource that failed to start its place back, and the waiter tries again', async () => {
    const resources = new Resources();
    resources.failNext = 1;
    const pool = resources.pool(1);
    const first = pool.use((id) => Promise.resolve(id));
    const second = pool.use((id) => Promise.resolve(id));
    await expect(first).rejects.toThrow('cannot start');
    await expect(second).resolves.toBe(1);
  });

  it('hands a resource started for a waiter that gave up to the next task, losing no place', async () => {
    // Each start waits for the test: the first fails, the second is started for the waiter.
    const starts: Array<{ resolve: (id: number) => void; reject: (e: Error) => void }> = [];
    const pool = new ResourcePool<number>(
      1,
      () => new Promise<number>((resolve, reject) => starts.push({ resolve, reject })),
      () => Promise.resolve(),
    );
    const first = pool.use((id) => Promise.resolve(id));
    const controller = new AbortController();
    const gaveUp = pool.use((id) => Promise.resolve(id), controller.signal);
    const third = pool.use((id) => Promise.resolve(id));
    starts[0].reject(new Error('cannot start'));
    await expect(first).rejects.toThrow('cannot start');
    expect(starts).toHaveLength(2);
    controller.abort();
    await expect(gaveUp).rejects.toMatchObject({ code: 'timeout' });
    starts[1].resolve(7);
    await expect(third).resolves.toBe(7);
    await expect(pool.use((id) => Promise.resolve(id))).resolves.toBe(7);
    expect(starts).toHaveLength(2);
  });

  it('destroys a resource that is no longer usable when it comes back, and starts a new one', async () => {
    const resources = new Resources();
    const broken = new Set<number>();
    const pool = new ResourcePool<number>(
      1,
      () => Promise.resolve(++resources.created),
      (id) => {
        resources.destroyed.push(id);
        return Promise.resolve();
      },
      (id) => !broken.has(id),
    );
    const gate = deferred();
    const first = pool.use(async (id) => {
      await gate.promise;
      broken.add(id);
      throw new Error('thread died');
    });
    const waiting = pool.use((id) => Promise.resolve(id));
    await settle();
    gate.resolve();
    await expect(first).rejects.toThrow('thread died');
    await expect(waiting).resolves.toBe(2);
    expect(resources.destroyed).toEqual([1]);
    expect(pool.startedCount).toBe(1);
  });

  it('close destroys every resource and fails waiting tasks', async () => {
    const resources = new Resources();
    const pool = resources.pool(1);
    const gate = deferred();
    const busy = pool.use(() => gate.promise);
    const waiting = pool.use(() => Promise.resolve());
    await settle();
    await pool.close();
    await expect(waiting).rejects.toBeInstanceOf(PoolClosedError);
    expect(resources.destroyed).toEqual([1]);
    gate.resolve();
    await busy;
    await expect(pool.use(() => Promise.resolve())).rejects.toBeInstanceOf(PoolClosedError);
  });

  it('rejects at once with the abort reason when the signal has already fired', async () => {
    const pool = new Resources().pool(1);
    const reason = new DocumentError('timeout', 'cancelled');
    await expect(pool.use(() => Promise.resolve(), AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});
