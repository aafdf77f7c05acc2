import { describeDatabaseError, isDatabaseUnreachable } from '../../src/database/database-errors';
import { DatabaseUnreachableError, retryWhileUnreachable } from '../../src/database/retry-while-unreachable';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('isDatabaseUnreachable', () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a host not in DNS yet (a container not up)', withCode('ENOTFOUND', 'getaddrinfo ENOTFOUND db')],
    ['a server starting up (57P03)', withCode('57P03', 'the database system is starting up')],
    ['a server shutting down (57P01)', withCode('57P01', 'terminating connection due to administrator command')],
    ['too many connections (53300)', withCode('53300', 'sorry, too many clients already')],
    ['a connection exception (class 08)', withCode('08006', 'connection failure')],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    ['a connect timeout', new Error('Connection terminated due to connection timeout')],
    [
      'every address of localhost refusing',
      Object.assign(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], ''), {
        code: 'ECONNREFUSED',
      }),
    ],
  ])('retries %s', (_, err) => expect(isDatabaseUnreachable(err)).toBe(true));

  it.each([
    ['a wrong password (28P01)', withCode('28P01', 'password authentication failed for user "inbox"')],
    ['a missing database (3D000)', withCode('3D000', 'database "inbox" does not exist')],
    ['a failing migration (42601)', withCode('42601', 'syntax error at or near "selec"')],
    ['a plain error', new Error('boom')],
    ['not an error', 'ECONNREFUSED'],
  ])('does not retry %s', (_, err) => expect(isDatabaseUnreachable(err)).toBe(false));

  it('describes an AggregateError with an empty message by what it holds', () => {
    const err = new AggregateError(
      [
        withCode('ECONNREFUSED', 'connect ECONNREFUSED ::1:5432'),
        withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      ],
      '',
    );
    expect(describeDatabaseError(err)).toBe('connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432');
  });

  it("describes the file layer's errors of the embedded database, which carry only a number", () => {
    // What PGlite throws when initdb finds no room: Emscripten's FS.ErrnoError, no message.
    expect(describeDatabaseError({ name: 'ErrnoError', errno: 51 })).toBe('no space left on device (ENOSPC)');
    expect(describeDatabaseError({ name: 'ErrnoError', errno: 999 })).toBe('file system error (WASI errno 999)');
  });
});

/** A clock that sleeping moves forward, so backoff runs in no time. */
function fakeClock() {
  let t = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms: number) => {
      slept.push(ms);
      t += ms;
    },
  };
}

describe('retryWhileUnreachable', () => {
  it('retries with doubling, capped pauses, a line per failed try, until the database answers', async () => {
    const clock = fakeClock();
    const lines: string[] = [];
    let calls = 0;
    const result = await retryWhileUnreachable(
      async () => {
        if (++calls < 6) throw withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432');
        return 'open';
      },
      { what: 'DATABASE_URL', onRetry: (l) => lines.push(l), ...clock, random: () => 0.5, maxDelayMs: 4000 },
    );
    expect(result).toBe('open');
    expect(clock.slept).toEqual([500, 1000, 2000, 4000, 4000]);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('DATABASE_URL unreachable (try 1): connect ECONNREFUSED 127.0.0.1:5432; next try in 0.5 s');
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
  });

  it('spreads pauses by ±20 % so workers restarted together do not retry in step', async () => {
    const low = fakeClock();
    const high = fakeClock();
    const failTwice = () => {
      let n = 0;
      return async () => {
        if (++n < 3) throw withCode('ECONNREFUSED');
      };
    };
    await retryWhileUnreachable(failTwice(), { what: 'db', onRetry: () => undefined, ...low, random: () => 0 });
    await retryWhileUnreachable(failTwice(), { what: 'db', onRetry: () => undefined, ...high, random: () => 1 });
    expect(low.slept).toEqual([400, 800]);
    expect(high.slept).toEqual([600, 1200]);
  });

  it('gives up after the time allowed, in one line naming the setting, and never sleeps past it', async () => {
    const clock = fakeClock();
    const lines: string[] = [];
    const remaining: Array<number | undefined> = [];
    const failing = retryWhileUnreachable(
      async (left) => {
        remaining.push(left);
        throw withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1');
      },
      {
        what: 'DATABASE_URL',
        timeoutMs: 3000,
        limitSetting: 'DATABASE_BOOT_TIMEOUT_SECONDS',
        onRetry: (l) => lines.push(l),
        ...clock,
        random: () => 0.5,
      },
    );
    await expect(failing).rejects.toThrow(DatabaseUnreachableError);
    await expect(failing).rejects.toThrow(
      'connect ECONNREFUSED 127.0.0.1:1 (gave up after 4 tries in 3 s, DATABASE_BOOT_TIMEOUT_SECONDS)',
    );
    // 0.5 + 1 + 1.5 (cut to the deadline, not 2) = 3 s.
    expect(clock.slept).toEqual([500, 1000, 1500]);
    expect(remaining).toEqual([3000, 2500, 1500, 0]);
    expect(lines).toHaveLength(3);
  });

  it('keeps trying without a limit (a worker)', async () => {
    const clock = fakeClock();
    let calls = 0;
    await retryWhileUnreachable(
      async (left) => {
        expect(left).toBeUndefined();
        if (++calls < 40) throw withCode('57P03', 'the database system is starting up');
      },
      { what: 'DATABASE_URL', onRetry: () => undefined, ...clock, random: () => 0.5 },
    );
    expect(calls).toBe(40);
    expect(Math.max(...clock.slept)).toBe(10_000);
  });

  it('throws at once what waiting cannot mend', async () => {
    const clock = fakeClock();
    const lines: string[] = [];
    await expect(
      retryWhileUnreachable(
        async () => {
          throw withCode('28P01', 'password authentication failed for user "inbox"');
        },
        { what: 'DATABASE_URL', timeoutMs: 60_000, onRetry: (l) => lines.push(l), ...clock },
      ),
    ).rejects.toThrow('password authentication failed');
    expect(clock.slept).toEqual([]);
    expect(lines).toEqual([]);
  });
});
