import { SqlDbFunctions } from '../../src/database/sql-db-functions';
import { newWebhookSecret, TenantStore } from '../../src/tenants/tenant-store';
import { databaseTargets, supabaseTarget, type DatabaseTarget, type TestDatabase } from '../support/databases';

const targets: DatabaseTarget[] = [...databaseTargets(), ...[supabaseTarget()].filter((t) => t !== undefined)];

describe.each(targets)('tenant store on $name', (target) => {
  let db: TestDatabase;
  let tenants: TenantStore;

  beforeAll(async () => {
    db = await target.create();
    tenants = new TenantStore(target.name === 'supabase' ? db.functions() : new SqlDbFunctions(db.sql));
  });
  afterAll(() => db.dispose());

  it('has the default tenant from the migration, without a secret until one is made', async () => {
    const tenant = await tenants.get('default');
    expect(tenant).toMatchObject({ tenant_id: 'default', webhook_secret: null, callback_url: null, taxonomy: null });
    const ensured = await tenants.ensure('default', 'whsec_Zm9vYmFyYmF6');
    expect(ensured).toMatchObject({ created: false, webhook_secret: 'whsec_Zm9vYmFyYmF6' });
  });

  it('creates a tenant once and keeps its secret on the next ensure', async () => {
    const first = await tenants.ensure('acme');
    expect(first.created).toBe(true);
    expect(first.webhook_secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const again = await tenants.ensure('acme', newWebhookSecret());
    expect(again).toMatchObject({ created: false, webhook_secret: first.webhook_secret });
  });

  it('updates one setting and leaves the others; null clears', async () => {
    await tenants.ensure('globex');
    const updated = await tenants.update('globex', {
      callback_url: 'https://hooks.example.com/inbox',
      taxonomy: { types: [] },
    });
    expect(updated).toMatchObject({ callback_url: 'https://hooks.example.com/inbox', taxonomy: { types: [] } });
    expect(updated?.webhook_secret).toMatch(/^whsec_/);
    const cleared = await tenants.update('globex', { taxonomy: null });
    expect(cleared).toMatchObject({ callback_url: 'https://hooks.example.com/inbox', taxonomy: null });
    expect(await tenants.update('nobody', { callback_url: null })).toBeNull();
  });

  it('refuses a tenant id that is not a lowercase slug', async () => {
    await expect(tenants.ensure('Acme Corp')).rejects.toThrow();
  });
});
