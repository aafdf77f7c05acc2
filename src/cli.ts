import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { ApiKeyStore, type ApiKeyRecord } from './auth/api-key-store';
import { parseCategories } from './classifier/taxonomy.loader';
import { AppConfig } from './config/app-config';
import type { DatabaseConnection } from './database/database-connection';
import { openConnection } from './database/open-database';
import { API_KEY_ROLES, type ApiKeyRole } from './tenants/request-principal';
import { TenantStore } from './tenants/tenant-store';

const USAGE =
  'usage: node dist/cli.js keys create --tenant <tenant> --role <admin|write|read> [--name <name>] | ' +
  'keys list [--tenant <tenant>] | keys revoke <id-or-prefix> [--tenant <tenant>] | ' +
  'tenants set-taxonomy --tenant <tenant> --file <taxonomy.yaml|json> | tenants reset-taxonomy --tenant <tenant>';

const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Bad usage: one line on stderr, exit code 2. */
class UsageError extends Error {}

type Out = (line: string) => void;

/**
 * Doc Inbox's admin CLI: API keys and tenant settings, on the database the server uses (the same
 * settings: DATABASE_URL, SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY, or the embedded DATA_DIR,
 * which serves one process: stop the server first, or use the API while it runs open).
 */
async function main(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  const run = commandFor(group, command, rest);
  const config = AppConfig.fromEnvironment();
  const connection = await openConnection(config, {
    role: 'cli',
    // stdout is for the answer (a new key alone on the last line); boot chatter goes to stderr.
    logger: { log: () => undefined, warn: (line) => console.error(line) },
  });
  try {
    await run(connection, (line) => console.log(line));
  } finally {
    await connection.close();
  }
  return 0;
}

function commandFor(
  group: string | undefined,
  command: string | undefined,
  args: string[],
): (db: DatabaseConnection, out: Out) => Promise<void> {
  const key = `${group ?? ''} ${command ?? ''}`;
  switch (key) {
    case 'keys create': {
      const { values } = parse(args, { tenant: true, role: true, name: true });
      const tenant = tenantOf(values.tenant, true)!;
      const role = values.role;
      if (!role) throw new UsageError('keys create needs --role admin, write or read');
      if (!(API_KEY_ROLES as readonly string[]).includes(role)) {
        throw new UsageError(`--role must be one of ${API_KEY_ROLES.join(', ')}, not '${role}'`);
      }
      const name = values.name;
      if (name !== undefined && (name.length < 1 || name.length > 100)) {
        throw new UsageError('--name must be 1 to 100 characters');
      }
      return (db, out) => createKey(db, out, { tenant, role: role as ApiKeyRole, name });
    }
    case 'keys list': {
      const { values } = parse(args, { tenant: true });
      const tenant = tenantOf(values.tenant, false);
      return (db, out) => listKeys(db, out, tenant);
    }
    case 'keys revoke': {
      const { values, positionals } = parse(args, { tenant: true }, true);
      if (positionals.length !== 1) throw new UsageError('keys revoke needs one key id or prefix (see keys list)');
      const tenant = tenantOf(values.tenant, false);
      return (db, out) => revokeKey(db, out, positionals[0], tenant);
    }
    case 'tenants set-taxonomy': {
      const { values } = parse(args, { tenant: true, file: true });
      const tenant = tenantOf(values.tenant, true)!;
      if (!values.file) throw new UsageError('tenants set-taxonomy needs --file <taxonomy.yaml|json>');
      const file = values.file;
      // Read and validated before the database is opened: a bad file changes nothing.
      let raw: unknown;
      try {
        raw = parseYaml(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as Error).message.split('\n')[0]}`);
      }
      let categories;
      try {
        categories = parseCategories(raw, file);
      } catch (err) {
        const [head, ...problems] = (err as Error).message.split('\n');
        throw new UsageError(`${head} ${problems.map((line) => line.replace(/^\s*- /, '')).join('; ')}`);
      }
      return async (db, out) => {
        const tenants = new TenantStore(db.functions);
        await tenants.ensure(tenant);
        await tenants.update(tenant, { taxonomy: { categories } });
        out(
          `tenant ${tenant} now classifies into its own ${categories.length} categories: ${categories.map((c) => c.id).join(', ')}`,
        );
      };
    }
    case 'tenants reset-taxonomy': {
      const { values } = parse(args, { tenant: true });
      const tenant = tenantOf(values.tenant, true)!;
      return async (db, out) => {
        const updated = await new TenantStore(db.functions).update(tenant, { taxonomy: null });
        if (!updated) throw new Error(`no tenant ${tenant}`);
        out(`tenant ${tenant} uses the service's taxonomy again`);
      };
    }
    default:
      throw new UsageError(group || command ? `unknown command '${key.trim()}'; ${USAGE}` : USAGE);
  }
}

async function createKey(
  db: DatabaseConnection,
  out: Out,
  options: { tenant: string; role: ApiKeyRole; name?: string },
): Promise<void> {
  const created = await new ApiKeyStore(db.functions).create({
    tenantId: options.tenant,
    role: options.role,
    name: options.name ?? null,
  });
  const k = created.record;
  out(
    `created ${k.role} key ${k.id} (dik_${k.prefix}…) for tenant ${k.tenant_id}` + (k.name ? `, named ${k.name}` : ''),
  );
  if (created.tenantCreated && created.tenant.webhook_secret) {
    out(`created tenant ${k.tenant_id}; its webhook signing secret (shown once): ${created.tenant.webhook_secret}`);
  }
  out('the key follows on the last line; it is shown this once (only its hash is stored):');
  out(created.key);
}

async function listKeys(db: DatabaseConnection, out: Out, tenant: string | null): Promise<void> {
  const keys = await new ApiKeyStore(db.functions).list(tenant);
  if (keys.length === 0) {
    out(tenant ? `no keys for tenant ${tenant}` : 'no keys');
    return;
  }
  out(['id', 'tenant', 'prefix', 'role', 'name', 'created', 'last used', 'revoked'].join('\t'));
  for (const k of keys) out(row(k));
}

function row(k: ApiKeyRecord): string {
  return [
    k.id,
    k.tenant_id,
    `dik_${k.prefix}`,
    k.role,
    k.name ?? '-',
    k.created_at,
    k.last_used_at ?? '-',
    k.revoked_at ?? '-',
  ].join('\t');
}

async function revokeKey(db: DatabaseConnection, out: Out, reference: string, tenant: string | null): Promise<void> {
  const revoked = await new ApiKeyStore(db.functions).revoke(reference, tenant);
  if (!revoked) throw new Error(`no key ${reference}${tenant ? ` in tenant ${tenant}` : ''} (see keys list)`);
  out(`revoked key ${revoked.id} (dik_${revoked.prefix}…) of tenant ${revoked.tenant_id}`);
}

function parse<T extends Record<string, true>>(
  args: string[],
  options: T,
  allowPositionals = false,
): { values: { [K in keyof T]?: string }; positionals: string[] } {
  try {
    const parsed = parseArgs({
      args,
      options: Object.fromEntries(Object.keys(options).map((name) => [name, { type: 'string' as const }])),
      allowPositionals,
      strict: true,
    });
    return { values: parsed.values as { [K in keyof T]?: string }, positionals: parsed.positionals };
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]}; ${USAGE}`);
  }
}

function tenantOf(value: string | undefined, required: boolean): string | null {
  if (value === undefined) {
    if (required) throw new UsageError('--tenant <tenant> is required');
    return null;
  }
  if (!TENANT_ID.test(value)) {
    throw new UsageError(
      `--tenant '${value}' must be 1 to 63 lower-case letters, digits, _ or -, starting with a letter or digit`,
    );
  }
  return value;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`doc-inbox: ${message}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
