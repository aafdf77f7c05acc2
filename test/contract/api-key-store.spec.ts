import { ApiKeyStore } from '../../src/auth/api-key-store';
import { hashApiKey } from '../../src/auth/api-key';
import { SqlCorrectionStore } from '../../src/classifier/sql-correction.store';
import { SqlDbFunctions } from '../../src/database/sql-db-functions';
import { SqlJobStore } from '../../src/jobs/sql-job.store';
import { newJob } from '../support/fixtures';
import { databaseTargets, supabaseTarget, type DatabaseTarget, type TestDatabase } from '../support/databases';

const targets: DatabaseTarget[] = [...databaseTargets(), ...[supabaseTarget()].filter((t) => t !== undefined)];

describe.each(targets)('API keys on $name', (target) => {
  let db: TestDatabase;
  let keys: ApiKeyStore;

  beforeAll(async () => {
    db = await target.create();
    keys = new ApiKeyStore(target.name === 'supabase' ? db.functions() : new SqlDbFunctions(db.sql));
  }, 60_000);
  afterAll(() => db?.dispose());

  it('is open (no active key) on a new database', async () => {
    expect(await keys.anyActive()).toBe(false);
  });

  it('creates a key and its tenant once, storing only the hash', async () => {
    const first = await keys.create({ tenantId: 'acme', role: 'write', name: 'ci' });
    expect(first.key).toMatch(new RegExp(`^dik_${first.record.prefix}_[A-Za-z0-9_-]{43}$`));
    expect(first).toMatchObject({ tenantCreated: true, record: { tenant_id: 'acme', role: 'write', name: 'ci' } });
    expect(first.tenant.webhook_secret).toMatch(/^whsec_/);
    const second = await keys.create({ tenantId: 'acme', role: 'read' });
    expect(second.tenantCreated).toBe(false);
    expect(second.tenant.webhook_secret).toBe(first.tenant.webhook_secret);

    const rows = await db.sql.query<Record<string, unknown>>('select * from inbox_api_keys where id = $1', [
      first.record.id,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0].key_hash).toBe(hashApiKey(first.key));
    expect(JSON.stringify(rows[0])).not.toContain(first.key);
    expect(await keys.anyActive()).toBe(true);
  });

  it('authenticates an active key to its tenant and role, and nothing else', async () => {
    const { key, record } = await keys.create({ tenantId: 'globex', role: 'admin' });
    expect(await keys.authenticate(key)).toEqual({ tenantId: 'globex', role: 'admin', keyId: record.id });
    expect(await keys.authenticate(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(await keys.authenticate('not a key')).toBeNull();
    const [row] = await db.sql.query<{ last_used_at: Date | null }>(
      'select last_used_at from inbox_api_keys where id = $1',
      [record.id],
    );
    expect(row.last_used_at).not.toBeNull();
  });

  it("lists a tenant's keys or all, and revokes by id or prefix within a tenant, at once", async () => {
    const a = await keys.create({ tenantId: 'initech', role: 'read' });
    // Newest first by created_at: PGlite's clock ticks in milliseconds, and two keys made in the
    // same one have no order (CI made both in one on PGlite).
    await new Promise((resolve) => setTimeout(resolve, 5));
    const b = await keys.create({ tenantId: 'initech', role: 'write' });
    expect((await keys.list('initech')).map((k) => k.id)).toEqual([b.record.id, a.record.id]);
    expect(new Set((await keys.list(null)).map((k) => k.tenant_id))).toEqual(new Set(['acme', 'globex', 'initech']));
    for (const k of await keys.list(null)) expect(k).not.toHaveProperty('key_hash');

    expect(await keys.revoke(a.record.id, 'globex')).toBeNull();
    expect(await keys.authenticate(a.key)).not.toBeNull();
    const revoked = await keys.revoke(a.record.id, 'initech');
    expect(revoked?.revoked_at).toEqual(expect.any(String));
    expect(await keys.authenticate(a.key)).toBeNull();

    expect(await keys.revoke(`dik_${b.record.prefix}`, null)).toMatchObject({ id: b.record.id });
    expect(await keys.authenticate(b.key)).toBeNull();
    expect(await keys.revoke('nosuchkey', null)).toBeNull();
  });

  it('is open again once every key is revoked', async () => {
    for (const k of await keys.list(null)) await keys.revoke(k.id, null);
    expect(await keys.anyActive()).toBe(false);
  });

  it("keeps a tenant's corrections to its own training set", async () => {
    const functions = new SqlDbFunctions(db.sql);
    const jobs = new SqlJobStore(functions);
    const corrections = new SqlCorrectionStore(target.name === 'supabase' ? db.functions() : functions);
    for (const tenantId of ['acme', 'globex']) {
      const job = newJob(1, { tenantId });
      await jobs.createJob(job);
      await corrections.record({
        tenantId,
        jobId: job.id,
        position: 0,
        filename: `${tenantId}.txt`,
        label: tenantId === 'acme' ? 'invoice' : 'receipt',
        predictedLabel: null,
        text: `text of ${tenantId}`,
      });
    }
    const acmeRevision = await corrections.revision('acme');
    expect((await corrections.list(10, 'acme')).map((c) => c.label)).toEqual(['invoice']);
    expect((await corrections.list(10, 'globex')).map((c) => c.label)).toEqual(['receipt']);
    expect(await corrections.list(10)).toEqual([]);
    await corrections.record({
      tenantId: 'globex',
      jobId: (await corrections.list(1, 'globex'))[0].jobId!,
      position: 0,
      filename: 'globex.txt',
      label: 'letter',
      predictedLabel: null,
      text: 'text of globex',
    });
    expect(await corrections.revision('acme')).toBe(acmeRevision);
  });
});
