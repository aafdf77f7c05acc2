import { abortRace } from '../../src/common/abort';
import { DocumentError } from '../../src/common/document-error';

const never = () => new Promise<never>(() => undefined);

describe('abortRace: several steps against one signal', () => {
  it('answers each step as it settles, its value or its own error', async () => {
    const steps = abortRace(new AbortController().signal);
    await expect(steps.race(Promise.resolve('bytes'))).resolves.toBe('bytes');
    await expect(steps.race(Promise.reject(new Error('unreadable')))).rejects.toThrow('unreadable');
    steps.dispose();
  });

  it("rejects the step in flight with the signal's DocumentError once it fires", async () => {
    const file = new AbortController();
    const steps = abortRace(file.signal);
    const step = steps.race(never());
    file.abort(new DocumentError('timeout', 'gave up after 1 s'));
    await expect(step).rejects.toMatchObject({ code: 'timeout', message: 'gave up after 1 s' });
  });

  it('rejects at once for a signal that already fired, and for every later step', async () => {
    const file = new AbortController();
    file.abort();
    const steps = abortRace(file.signal);
    await expect(steps.race(never())).rejects.toMatchObject({ code: 'timeout' });
    await expect(steps.race(never())).rejects.toBeInstanceOf(DocumentError);
  });

  it('keeps one listener for all steps and none once disposed; an abort with no step raced is no unhandled rejection', async () => {
    const file = new AbortController();
    const added = jest.spyOn(file.signal, 'addEventListener');
    const removed = jest.spyOn(file.signal, 'removeEventListener');
    const steps = abortRace(file.signal);
    for (const value of [1, 2, 3]) await steps.race(Promise.resolve(value));
    steps.dispose();
    expect(added).toHaveBeenCalledTimes(1);
    expect(removed).toHaveBeenCalledWith('abort', added.mock.calls[0][1]);

    const idle = abortRace(file.signal);
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    file.abort();
    await new Promise((r) => setImmediate(r));
    process.off('unhandledRejection', unhandled);
    idle.dispose();
    expect(unhandled).not.toHaveBeenCalled();
  });
});
