import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client, Pool, type DatabaseError, type PoolClient } from 'pg';

/** The roles Supabase's PostgREST switches to; created in the fixture database's cluster if missing. */
export const SUPABASE_ROLES = ['anon', 'authenticated', 'service_role'] as const;
export type SupabaseRole = (typeof SUPABASE_ROLES)[number];

/** A JWT as Supabase signs its API keys: HS256 over `{role, iss, iat, exp}` with the project's secret. */
export function signSupabaseKey(secret: string, role: string, extra: Record<string, unknown> = {}): string {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: 'supabase-test', role, iat: now, exp: now + 86_400, ...extra })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** The claims of a key signed with `secret`, or null when it is malformed, forged or expired. */
export function verifySupabaseKey(secret: string, token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString()) as { alg?: string };
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString()) as Record<string, unknown>;
    if (header.alg !== 'HS256') return null;
    if (typeof claims.exp === 'number' && claims.exp < Date.now() / 1000) return null;
    return claims;
  } catch {
    return null;
  }
}

/**
 * Creates anon, authenticated and service_role (NOLOGIN; service_role BYPASSRLS, as on Supabase)
 * if the cluster lacks them. Roles are cluster-wide, so test files racing to create them are fine.
 */
export async function ensureSupabaseRoles(adminUrl: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const role of SUPABASE_ROLES) {
      const attributes = role === 'service_role' ? 'nologin noinherit bypassrls' : 'nologin noinherit';
      await client
        .query(
          `do $$ begin if not exists (select 1 from pg_roles where rolname = '${role}') then create role ${role} ${attributes}; end if; end $$`,
        )
        .catch((err: DatabaseError) => {
          if (err.code !== '42710' && err.code !== '23505') throw err; // created meanwhile by another file
        });
    }
  } finally {
    await client.end();
  }
}

/** An answer forced on the next matching request (a 503 from the gateway, a statement timeout). */
export interface SupabaseFault {
  /** `rpc` or `storage`; and for rpc, optionally one function. */
  api: 'rpc' | 'storage';
  fn?: string;
  status: number;
  body: Record<string, unknown>;
}

export interface RpcCall {
  fn: string;
  role: string;
  status: number;
}

interface FunctionInfo {
  oid: number;
  argnames: string[];
  argtypes: string[];
  /** Input arguments without a default: an RPC call must name them. */
  required: number;
  retset: boolean;
  /** Composite rows (RETURNS TABLE, a row type): objects; otherwise scalars. */
  composite: boolean;
  void: boolean;
  readOnly: boolean;
}

interface Bucket {
  id: string;
  name: string;
  public: boolean;
  file_size_limit: number | null;
  allowed_mime_types: string[] | null;
  created_at: string;
  updated_at: string;
}

/** PostgREST's HTTP status for a SQLSTATE (its documented table, the codes that matter here). */
function statusForSqlState(code: string, authenticated: boolean): number {
  if (code === '42501') return authenticated ? 403 : 401;
  if (code === 'P0001') return 400;
  if (code === '57014') return 500;
  if (code === '42883' || code === '42P01') return 404;
  if (code === '23505' || code === '23503') return 409;
  if (code === '25006') return 405;
  if (code.startsWith('08') || code.startsWith('53') || code === '57P01' || code === '57P03') return 503;
  if (code.startsWith('22') || code.startsWith('23')) return 400;
  if (code.startsWith('42')) return 400;
  return 500;
}

/**
 * A loopback Supabase, for tests: the part of PostgREST and Storage that supabase-js calls for
 * Doc Inbox, executing on a real PostgreSQL database the way PostgREST does.
 *
 * - `POST /rest/v1/rpc/{fn}`: the bearer JWT (HS256, the project's secret) names the role; the
 *   call runs in one transaction after `set local role <role>` and
 *   `set_config('request.jwt.claims', ...)`, read-only for stable functions; the function is
 *   found in the `public` schema by its argument names (PGRST202 404 otherwise), its JSON
 *   arguments go through `json_to_record` as PostgREST's do, and the answer is its result as
 *   JSON (204 for void). Errors are PostgREST's `{code, message, details, hint}` with its statuses
 *   (42501 401/403, P0001 400, 57014 500, ...). A bad key is a 401 (PGRST301).
 * - Storage (`/storage/v1`): bucket get and create; object upload (streamed to a temporary file
 *   and renamed into place when complete, so an aborted upload leaves no object), download,
 *   info, remove and list-v2, in a temporary folder. Only the service role may use it; the anon
 *   key sees no bucket and no object (as Storage's RLS on storage.objects does by default).
 *
 * Not here: Kong's routing, PostgREST's schema cache timing, table endpoints, Realtime, Auth,
 * TUS resumable uploads, Storage's own database. See the README's Supabase section.
 */
export class FakeSupabaseServer {
  readonly faults: SupabaseFault[] = [];
  readonly calls: RpcCall[] = [];
  readonly anonKey: string;
  readonly serviceRoleKey: string;
  readonly buckets = new Map<string, Bucket>();
  /** Statement timeout PostgREST's roles get (Supabase sets them per role); undefined: none. */
  statementTimeoutMs?: number;
  storageDir = '';
  private server?: Server;
  /** No database (Storage-only tests): RPC answers 503 as PostgREST does when it cannot connect. */
  private readonly pool?: Pool;
  private readonly functions = new Map<string, FunctionInfo[]>();

  constructor(
    databaseUrl: string | undefined,
    readonly jwtSecret = 'super-secret-jwt-token-with-at-least-32-characters-long',
  ) {
    if (databaseUrl) {
      this.pool = new Pool({ connectionString: databaseUrl, max: 10 });
      this.pool.on('error', () => undefined);
    }
    this.anonKey = signSupabaseKey(jwtSecret, 'anon');
    this.serviceRoleKey = signSupabaseKey(jwtSecret, 'service_role');
  }

  /** Listens on 127.0.0.1; resolves to the project URL (what SUPABASE_URL holds). */
  async start(): Promise<string> {
    this.storageDir = await mkdtemp(join(tmpdir(), 'fake-supabase-storage-'));
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (!res.headersSent)
          json(res, 500, { code: 'XX000', message: (err as Error).message, details: null, hint: null });
        else res.destroy();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
    await this.pool?.end();
    await rm(this.storageDir, { recursive: true, force: true });
  }

  /** Forgets the function signatures it looked up (after a migration, as PostgREST's NOTIFY reload). */
  reloadSchema(): void {
    this.functions.clear();
  }

  /** Where an object's bytes sit. */
  objectPath(bucket: string, key: string): string {
    return join(this.storageDir, 'objects', bucket, ...key.split('/'));
  }

  /** Every stored object key of a bucket, sorted. */
  async objectKeys(bucket: string): Promise<string[]> {
    const root = join(this.storageDir, 'objects', bucket);
    const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isFile() && !e.name.endsWith('.meta.json'))
      .map((e) =>
        join(e.parentPath, e.name)
          .slice(root.length + 1)
          .split(/[\\/]/)
          .join('/'),
      )
      .sort();
  }

  /** Bytes held, committed or still arriving. */
  async storedBytes(): Promise<number> {
    const entries = await readdir(this.storageDir, { recursive: true, withFileTypes: true }).catch(() => []);
    const files = entries.filter((e) => e.isFile() && !e.name.endsWith('.meta.json'));
    const sizes = await Promise.all(
      files.map((e) =>
        stat(join(e.parentPath, e.name)).then(
          (s) => s.size,
          () => 0,
        ),
      ),
    );
    return sizes.reduce((a, b) => a + b, 0);
  }

  /** Uploads still being received (or cut short and not cleaned up). */
  async pendingUploads(): Promise<number> {
    return (await readdir(join(this.storageDir, 'uploads')).catch(() => [])).length;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const claims = this.authenticate(req);
    if (url.pathname.startsWith('/rest/v1/rpc/')) {
      const fn = decodeURIComponent(url.pathname.slice('/rest/v1/rpc/'.length));
      if (!claims) return json(res, 401, pgrstError('PGRST301', 'No suitable key or wrong key type', null, null));
      const body = await readBody(req);
      return this.rpc(fn, claims, body, res);
    }
    if (url.pathname.startsWith('/storage/v1/')) {
      if (!claims) return json(res, 400, { statusCode: '403', error: 'Unauthorized', message: 'invalid signature' });
      return this.storage(req, res, url, claims);
    }
    json(res, 404, { message: 'no Route matched with those values' });
  }

  private authenticate(req: IncomingMessage): Record<string, unknown> | null {
    const bearer = /^Bearer (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const token = bearer ?? (typeof req.headers.apikey === 'string' ? req.headers.apikey : undefined);
    if (!token) return null;
    const claims = verifySupabaseKey(this.jwtSecret, token);
    return claims && typeof claims.role === 'string' ? claims : null;
  }

  private takeFault(api: 'rpc' | 'storage', fn?: string): SupabaseFault | undefined {
    const at = this.faults.findIndex((f) => f.api === api && (f.fn === undefined || f.fn === fn));
    return at < 0 ? undefined : this.faults.splice(at, 1)[0];
  }

  // ---- PostgREST --------------------------------------------------------------------------------

  private async rpc(fn: string, claims: Record<string, unknown>, raw: Buffer, res: ServerResponse): Promise<void> {
    const role = String(claims.role);
    const record = (status: number) => this.calls.push({ fn, role, status });
    const fault = this.takeFault('rpc', fn);
    if (fault) {
      record(fault.status);
      return json(res, fault.status, fault.body);
    }
    let args: Record<string, unknown>;
    try {
      const parsed: unknown = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      args = parsed as Record<string, unknown>;
    } catch {
      record(400);
      return json(res, 400, pgrstError('PGRST102', 'Empty or invalid json', null, null));
    }
    if (!this.pool) {
      record(503);
      return json(res, 503, pgrstError('PGRST001', 'Database client error. Retrying the connection.', null, null));
    }
    const names = Object.keys(args).sort();
    const info = (await this.lookup(fn)).find(
      (f) => names.every((n) => f.argnames.includes(n)) && f.argnames.slice(0, f.required).every((n) => n in args),
    );
    if (!info) {
      record(404);
      return json(
        res,
        404,
        pgrstError(
          'PGRST202',
          `Could not find the function public.${fn}(${names.join(', ')}) in the schema cache`,
          `Searched for the function public.${fn} with parameters ${names.join(', ')} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
          null,
        ),
      );
    }
    const client = await this.pool.connect();
    try {
      const answer = await this.execute(client, fn, info, role, claims, args);
      record(info.void ? 204 : 200);
      if (info.void) {
        res.writeHead(204).end();
        return;
      }
      json(res, 200, answer);
    } catch (err) {
      const e = err as DatabaseError;
      const status = statusForSqlState(e.code ?? 'XX000', role !== 'anon');
      record(status);
      json(res, status, pgrstError(e.code ?? 'XX000', e.message, e.detail ?? null, e.hint ?? null));
    } finally {
      client.release();
    }
  }

  private async execute(
    client: PoolClient,
    fn: string,
    info: FunctionInfo,
    role: string,
    claims: Record<string, unknown>,
    args: Record<string, unknown>,
  ): Promise<unknown> {
    const given = info.argnames.map((n, i) => ({ name: n, type: info.argtypes[i] })).filter((a) => a.name in args);
    const call = `public.${quoteIdent(fn)}(${given.map((a) => `${quoteIdent(a.name)} := _args.${quoteIdent(a.name)}`).join(', ')})`;
    const from =
      given.length === 0
        ? ''
        : ` from json_to_record($1::json) as _args(${given.map((a) => `${quoteIdent(a.name)} ${a.type}`).join(', ')})`;
    const sql = info.void
      ? `select ${call}${from}`
      : !info.retset
        ? `select to_jsonb(${call}) as body${from}`
        : info.composite
          ? `select coalesce(jsonb_agg(to_jsonb(_r)), '[]'::jsonb) as body${from || ' from (select 1) as _none'} cross join lateral ${call} as _r`
          : `select coalesce(jsonb_agg(_r._v), '[]'::jsonb) as body${from || ' from (select 1) as _none'} cross join lateral ${call} as _r(_v)`;
    await client.query(info.readOnly ? 'begin read only' : 'begin');
    try {
      await client.query(`set local role ${quoteIdent(role)}`);
      await client.query(
        `select set_config('request.jwt.claims', $1, true), set_config('request.method', 'POST', true)`,
        [JSON.stringify(claims)],
      );
      if (this.statementTimeoutMs !== undefined) {
        await client.query(`set local statement_timeout = ${Math.round(this.statementTimeoutMs)}`);
      }
      const result = await client.query<{ body: unknown }>(sql, given.length === 0 ? [] : [JSON.stringify(args)]);
      await client.query('commit');
      return info.void ? null : (result.rows[0]?.body ?? null);
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    }
  }

  /** The schema cache: a function's overloads in `public`, by name. */
  private async lookup(fn: string): Promise<FunctionInfo[]> {
    const cached = this.functions.get(fn);
    if (cached) return cached;
    const { rows } = await this.pool!.query<{
      oid: number;
      argnames: string[] | null;
      argmodes: string[] | null;
      argtypes: string[];
      nargs: number;
      ndefaults: number;
      retset: boolean;
      typtype: string;
      is_void: boolean;
      volatile: string;
    }>(
      `select p.oid, p.proargnames as argnames, p.proargmodes::text[] as argmodes,
              array(select format_type(t, null) from unnest(p.proargtypes) as t) as argtypes,
              p.pronargs as nargs, p.pronargdefaults as ndefaults, p.proretset as retset,
              t.typtype::text as typtype, p.prorettype = 'void'::regtype as is_void, p.provolatile::text as volatile
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_type t on t.oid = p.prorettype
       where n.nspname = 'public' and p.proname = $1 and p.prokind = 'f'`,
      [fn],
    );
    const found = rows.map((r): FunctionInfo => {
      const modes = r.argmodes ?? [];
      const names = r.argnames ?? [];
      // Input arguments only (modes i, b, v, or all when proargmodes is null), in order.
      const inputNames = names.filter((_, i) => modes.length === 0 || ['i', 'b', 'v'].includes(modes[i]));
      return {
        oid: r.oid,
        argnames: inputNames.slice(0, r.nargs),
        argtypes: r.argtypes,
        required: r.nargs - r.ndefaults,
        retset: r.retset,
        composite: r.typtype === 'c' || r.typtype === 'p' || modes.includes('t'),
        void: r.is_void,
        readOnly: r.volatile !== 'v',
      };
    });
    this.functions.set(fn, found);
    return found;
  }

  // ---- Storage ----------------------------------------------------------------------------------

  private async storage(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    claims: Record<string, unknown>,
  ): Promise<void> {
    const fault = this.takeFault('storage');
    if (fault) {
      await readBody(req).catch(() => undefined);
      return json(res, fault.status, fault.body);
    }
    const path = url.pathname.slice('/storage/v1/'.length).split('/').map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const service = claims.role === 'service_role';
    const bucketNotFound = () =>
      json(res, 400, storageError('404', 'Bucket not found', 'Bucket not found', 'NoSuchBucket'));
    const objectNotFound = () => json(res, 400, storageError('404', 'not_found', 'Object not found', 'NoSuchKey'));
    // Storage's RLS: with no policy on storage.objects and storage.buckets, other roles see nothing.
    if (!service) {
      await readBody(req).catch(() => undefined);
      if (method === 'GET' && path[0] === 'bucket') return bucketNotFound();
      if (method === 'GET') return objectNotFound();
      return json(res, 400, storageError('403', 'Unauthorized', 'new row violates row-level security policy'));
    }

    if (path[0] === 'bucket') {
      if (method === 'GET' && path.length === 2) {
        const bucket = this.buckets.get(path[1]);
        return bucket ? json(res, 200, bucket) : bucketNotFound();
      }
      if (method === 'POST' && path.length === 1) {
        const body = JSON.parse((await readBody(req)).toString('utf8')) as Partial<Bucket> & { id: string };
        if (this.buckets.has(body.id)) {
          return json(res, 400, storageError('409', 'Duplicate', 'The resource already exists'));
        }
        const now = new Date().toISOString();
        this.buckets.set(body.id, {
          id: body.id,
          name: body.name ?? body.id,
          public: body.public ?? false,
          file_size_limit: body.file_size_limit ?? null,
          allowed_mime_types: body.allowed_mime_types ?? null,
          created_at: now,
          updated_at: now,
        });
        return json(res, 200, { name: body.id });
      }
    }
    if (path[0] !== 'object') return json(res, 404, { message: 'Route not found' });

    if (path[1] === 'list-v2' && method === 'POST') {
      const bucket = this.buckets.get(path[2]);
      if (!bucket) return bucketNotFound();
      const body = JSON.parse((await readBody(req)).toString('utf8')) as {
        prefix?: string;
        cursor?: string;
        limit?: number;
      };
      const limit = Math.min(body.limit ?? 1000, 1000);
      const keys = (await this.objectKeys(bucket.id)).filter(
        (k) => k.startsWith(body.prefix ?? '') && (body.cursor === undefined || k > body.cursor),
      );
      const page = keys.slice(0, limit);
      const objects = await Promise.all(page.map((k) => this.describeObject(bucket.id, k)));
      return json(res, 200, {
        hasNext: keys.length > limit,
        nextCursor: keys.length > limit ? page[page.length - 1] : undefined,
        folders: [],
        objects: objects.map((o) => ({ ...o, key: o.name })),
      });
    }
    if (path[1] === 'info') {
      const [bucketId, ...rest] = path.slice(2);
      if (!this.buckets.has(bucketId)) return bucketNotFound();
      const info = await this.describeObject(bucketId, rest.join('/')).catch(() => null);
      return info
        ? json(res, 200, { ...info, last_modified: info.updated_at, size: info.metadata.size })
        : objectNotFound();
    }
    if (method === 'DELETE' && path.length === 2) {
      if (!this.buckets.has(path[1])) return bucketNotFound();
      const { prefixes } = JSON.parse((await readBody(req)).toString('utf8')) as { prefixes: string[] };
      const removed = [];
      for (const key of prefixes) {
        const file = this.objectPath(path[1], key);
        const info = await this.describeObject(path[1], key).catch(() => null);
        if (!info) continue;
        await rm(file, { force: true });
        await rm(`${file}.meta.json`, { force: true });
        removed.push(info);
      }
      return json(res, 200, removed);
    }

    const authenticated = path[1] === 'authenticated';
    const [bucketId, ...rest] = path.slice(authenticated ? 2 : 1);
    const key = rest.join('/');
    const bucket = this.buckets.get(bucketId);
    if (!bucket) {
      await readBody(req).catch(() => undefined);
      return bucketNotFound();
    }
    if (method === 'GET') {
      const info = await this.describeObject(bucketId, key).catch(() => null);
      if (!info) return objectNotFound();
      res.writeHead(200, { 'content-type': info.metadata.mimetype, 'content-length': String(info.metadata.size) });
      await pipeline(createReadStream(this.objectPath(bucketId, key)), res);
      return;
    }
    if (method === 'POST' || method === 'PUT') return this.upload(req, res, bucket, key, method === 'PUT');
    json(res, 404, { message: 'Route not found' });
  }

  /** Streams the body to a temporary file; only a complete body within the size limit becomes the object. */
  private async upload(req: IncomingMessage, res: ServerResponse, bucket: Bucket, key: string, update: boolean) {
    const target = this.objectPath(bucket.id, key);
    const upsert = update || req.headers['x-upsert'] === 'true';
    const exists = await stat(target).then(
      () => true,
      () => false,
    );
    if (exists && !upsert) {
      await readBody(req).catch(() => undefined);
      return json(res, 400, storageError('409', 'Duplicate', 'The resource already exists'));
    }
    const uploads = join(this.storageDir, 'uploads');
    await mkdir(uploads, { recursive: true });
    const temp = join(uploads, randomUUID());
    let size = 0;
    let tooLarge = false;
    const limit = bucket.file_size_limit;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (limit !== null && size > limit && !tooLarge) {
        tooLarge = true;
        req.destroy(new Error('too large'));
      }
    });
    try {
      await pipeline(req, createWriteStream(temp));
    } catch {
      await rm(temp, { force: true });
      if (tooLarge && !res.destroyed) {
        return json(res, 413, storageError('413', 'Payload too large', 'The object exceeded the maximum allowed size'));
      }
      return; // the client went away: nothing stored
    }
    await mkdir(dirname(target), { recursive: true });
    const id = randomUUID();
    const meta = { id, mimetype: String(req.headers['content-type'] ?? 'application/octet-stream') };
    await writeFile(`${target}.meta.json`, JSON.stringify(meta));
    await rename(temp, target);
    json(res, 200, { Key: `${bucket.id}/${key}`, Id: id });
  }

  private async describeObject(bucket: string, key: string) {
    const file = this.objectPath(bucket, key);
    const s = await stat(file);
    if (!s.isFile()) throw new Error('not a file');
    const meta = JSON.parse(await readFile(`${file}.meta.json`, 'utf8').catch(() => '{}')) as {
      id?: string;
      mimetype?: string;
    };
    return {
      id: meta.id ?? key,
      name: key,
      bucket_id: bucket,
      created_at: s.birthtime.toISOString(),
      updated_at: s.mtime.toISOString(),
      last_accessed_at: s.atime.toISOString(),
      metadata: {
        size: s.size,
        mimetype: meta.mimetype ?? 'application/octet-stream',
        lastModified: s.mtime.toISOString(),
      },
    };
  }
}

function pgrstError(code: string, message: string, details: string | null, hint: string | null) {
  return { code, message, details, hint };
}

function storageError(statusCode: string, error: string, message: string, code?: string) {
  return { statusCode, error, message, ...(code ? { code } : {}) };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
