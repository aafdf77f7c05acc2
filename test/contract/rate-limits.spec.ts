import { SqlDbFunctions } from '../../src/database/sql-db-functions';
import { TenantRateLimiter } from '../../src/rate-limits/tenant-rate-limiter';
import { databaseTargets, type TestDatabase } from '../support/databases';

/** inbox_take_rate through TenantRateLimiter, on PGlite and PostgreSQL. */
describe.each(databaseTargets())('per-tenant rate limits on $name', (target) => {
  let db: TestDatabase;
  let limiter: TenantRateLimiter;

  beforeAll(async () => {
    db = await target.create();
    limiter = new TenantRateLimiter(new SqlDbFunctions(db.sql));
  }, 60_000);
  afterAll(() => db.dispose());
  beforeEach(() => db.sql.exec('delete from inbox_rate_counters'));

  it('allows the limit in a window, then refuses with the seconds left', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await limiter.take('acme', 'uploads', 3, 60));
    expect(answers.map((a) => [a.allowed, a.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
      [false, 0],
    ]);
    expect(answers[0]!.retryAfterSeconds).toBe(0);
    expect(answers[3]!.retryAfterSeconds).toBeGreaterThanOrEqual(59);
    expect(answers[3]!.retryAfterSeconds).toBeLessThanOrEqual(60);
    // Refused requests are not counted past the limit.
    const rows = await db.sql.query<{ hits: number }>(`select hits from inbox_rate_counters where tenant_id = 'acme'`);
    expect(rows).toEqual([{ hits: 4 }]);
  });

  it('counts each tenant and each bucket apart', async () => {
    for (let i = 0; i < 2; i++) await limiter.take('acme', 'uploads', 2, 60);
    expect((await limiter.take('acme', 'uploads', 2, 60)).allowed).toBe(false);
    expect((await limiter.take('globex', 'uploads', 2, 60)).allowed).toBe(true);
    expect((await limiter.take('acme', 'other', 2, 60)).allowed).toBe(true);
  });

  it('opens a new window once the last one ended, reusing its row', async () => {
    for (let i = 0; i < 3; i++) await limiter.take('acme', 'uploads', 2, 60);
    const before = await limiter.take('acme', 'uploads', 2, 60);
    expect(before.allowed).toBe(false);
    await db.sql.exec(`update inbox_rate_counters set window_start = window_start - interval '50 seconds'`);
    const later = await limiter.take('acme', 'uploads', 2, 60);
    expect(later.allowed).toBe(false);
    expect(later.retryAfterSeconds).toBeLessThanOrEqual(10);
    await db.sql.exec(`update inbox_rate_counters set window_start = window_start - interval '11 seconds'`);
    expect(await limiter.take('acme', 'uploads', 2, 60)).toMatchObject({ allowed: true, remaining: 1 });
    const rows = await db.sql.query(`select 1 from inbox_rate_counters`);
    expect(rows).toHaveLength(1);
  });

  it('is atomic: of 20 concurrent requests against a limit of 5, exactly 5 pass', async () => {
    // Each request on a transport of its own where the target has several connections (PostgreSQL).
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => new TenantRateLimiter(db.functions()).take('acme', 'burst', 5, 60)),
    );
    expect(answers.filter((a) => a.allowed)).toHaveLength(5);
  });
});
