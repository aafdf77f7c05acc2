-- API keys (issue 11). A key belongs to a tenant and carries a role; only its sha256 is stored,
-- with a short prefix that is shown in listings and names the key for `keys revoke`. The key
-- itself is shown once, when it is created. Authentication reads the table on every request (no
-- cache), so a revoked key fails on the very next one.

create table inbox_api_keys (
  id uuid primary key,
  tenant_id text not null references inbox_tenants (tenant_id),
  -- The 8 characters after 'dik_': unique, so it names the key for a revoke.
  prefix text not null unique check (prefix ~ '^[A-Za-z0-9]{8}$'),
  -- sha256 of the whole key, hex.
  key_hash text not null unique check (key_hash ~ '^[0-9a-f]{64}$'),
  role text not null check (role in ('admin', 'write', 'read')),
  name text check (name is null or length(name) between 1 and 100),
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

create index inbox_api_keys_tenant_idx on inbox_api_keys (tenant_id, created_at desc);
-- "Is there any active key?", asked by every keyless request while the service may run open.
create index inbox_api_keys_active_idx on inbox_api_keys (created_at) where revoked_at is null;

create or replace function inbox_api_key_json(k inbox_api_keys)
returns jsonb
language sql immutable as $$
  select jsonb_build_object(
    'id', k.id, 'tenant_id', k.tenant_id, 'prefix', k.prefix, 'role', k.role, 'name', k.name,
    'created_at', k.created_at, 'last_used_at', k.last_used_at, 'revoked_at', k.revoked_at)
$$;

-- Records a new key for p_tenant, creating the tenant (with p_webhook_secret) when it does not
-- exist. Answers {key, tenant: {..., created}}, or null when the prefix or hash is taken (the
-- caller draws another key).
create or replace function inbox_create_api_key(
  p_id uuid, p_tenant text, p_prefix text, p_hash text, p_role text, p_name text, p_webhook_secret text)
returns jsonb
language plpgsql as $$
declare
  v_tenant jsonb;
  v_key inbox_api_keys;
begin
  v_tenant := inbox_ensure_tenant(p_tenant, p_webhook_secret);
  insert into inbox_api_keys (id, tenant_id, prefix, key_hash, role, name)
  values (p_id, p_tenant, p_prefix, p_hash, p_role, p_name)
  on conflict do nothing
  returning * into v_key;
  if not found then
    -- Undo a tenant this call made, so a retry reports it as created again.
    if (v_tenant->>'created')::boolean then
      delete from inbox_tenants where tenant_id = p_tenant;
    end if;
    return null;
  end if;
  return jsonb_build_object('key', inbox_api_key_json(v_key), 'tenant', v_tenant);
end $$;

-- Keys, newest first: one tenant's, or every tenant's when p_tenant is null. Revoked keys are
-- listed too (with revoked_at) unless p_include_revoked is false.
create or replace function inbox_list_api_keys(p_tenant text, p_include_revoked boolean default true)
returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(inbox_api_key_json(k) order by k.created_at desc, k.id desc), '[]'::jsonb)
  from inbox_api_keys k
  where (p_tenant is null or k.tenant_id = p_tenant)
    and (p_include_revoked or k.revoked_at is null)
$$;

-- Revokes the key named by its id (a uuid) or its prefix, within p_tenant (null: any tenant).
-- Answers the key (revoked now, or already before), or null when there is none.
create or replace function inbox_revoke_api_key(p_key text, p_tenant text)
returns jsonb
language plpgsql as $$
declare
  v_key inbox_api_keys;
begin
  update inbox_api_keys k set revoked_at = coalesce(k.revoked_at, now())
  -- Compared as text: a cast of a prefix to uuid would fail, and CASE does not keep a planner
  -- from folding it early.
  where (k.id::text = lower(p_key) or k.prefix = p_key)
    and (p_tenant is null or k.tenant_id = p_tenant)
  returning * into v_key;
  if not found then return null; end if;
  return inbox_api_key_json(v_key);
end $$;

-- The principal of an active key with this hash ({tenant_id, role, key_id}), or null. Notes the
-- use at most once a minute, so busy keys do not write on every request.
create or replace function inbox_authenticate_api_key(p_hash text)
returns jsonb
language plpgsql as $$
declare
  v_key inbox_api_keys;
begin
  select * into v_key from inbox_api_keys where key_hash = p_hash and revoked_at is null;
  if not found then return null; end if;
  if v_key.last_used_at is null or v_key.last_used_at < now() - interval '1 minute' then
    update inbox_api_keys set last_used_at = now()
    where id = v_key.id and (last_used_at is null or last_used_at < now() - interval '1 minute');
  end if;
  return jsonb_build_object('tenant_id', v_key.tenant_id, 'role', v_key.role, 'key_id', v_key.id);
end $$;

-- Whether any key is active: while none is, the service may run open (on a loopback address).
create or replace function inbox_any_active_api_key()
returns boolean
language sql stable as $$
  select exists (select 1 from inbox_api_keys where revoked_at is null)
$$;

select inbox_secure_objects(current_schema());
notify pgrst, 'reload schema';
