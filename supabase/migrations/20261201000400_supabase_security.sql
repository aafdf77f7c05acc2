-- Security for a database that PostgREST exposes (Supabase): nothing of Doc Inbox is reachable
-- with the anon key or a user's JWT; only the service role (the server and the workers) calls
-- the functions, and only the functions touch the tables.
--   * Row level security on every inbox_ table with no policy for anon or authenticated, and
--     their grants revoked; the service role gets its grants and a policy of its own (it
--     bypasses RLS on Supabase anyway).
--   * Every inbox_ function SECURITY INVOKER with a fixed search_path, EXECUTE revoked from
--     public, anon and authenticated, granted to service_role.
-- Roles that do not exist (plain PostgreSQL, PGlite) are skipped, so this runs unchanged there;
-- the owner that migrates (and connects over DATABASE_URL) keeps every right.
--
-- inbox_secure_objects() does the work and stays: a later migration that adds a table or a
-- function ends with `select inbox_secure_objects(current_schema());` (test/contract/supabase-security.spec.ts
-- fails until it does).

create or replace function inbox_secure_objects(p_schema text)
returns void
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
  v_schema text := p_schema;
  v_has_anon boolean := exists (select 1 from pg_roles where rolname = 'anon');
  v_has_authenticated boolean := exists (select 1 from pg_roles where rolname = 'authenticated');
  v_has_service boolean := exists (select 1 from pg_roles where rolname = 'service_role');
  r record;
  v_self boolean;
begin
  for r in
    select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = v_schema and c.relkind in ('r', 'p') and c.relname like 'inbox\_%'
  loop
    execute format('alter table %I.%I enable row level security', v_schema, r.relname);
    execute format('revoke all on table %I.%I from public', v_schema, r.relname);
    if v_has_anon then
      execute format('revoke all on table %I.%I from anon', v_schema, r.relname);
    end if;
    if v_has_authenticated then
      execute format('revoke all on table %I.%I from authenticated', v_schema, r.relname);
    end if;
    if v_has_service then
      execute format('grant select, insert, update, delete on table %I.%I to service_role', v_schema, r.relname);
      if not exists (select 1 from pg_policies
                     where schemaname = v_schema and tablename = r.relname and policyname = 'inbox_service_role') then
        execute format('create policy inbox_service_role on %I.%I for all to service_role using (true) with check (true)',
                       v_schema, r.relname);
      end if;
    end if;
  end loop;

  for r in
    select p.oid::regprocedure as signature, p.proname = 'inbox_secure_objects' as self from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = v_schema and p.prokind = 'f' and p.proname like 'inbox\_%'
  loop
    v_self := r.self;
    execute format('alter function %s security invoker', r.signature);
    -- This function keeps its own search_path (pg_catalog): it names every object it touches.
    if not v_self then
      execute format('alter function %s set search_path = %I, pg_temp', r.signature, v_schema);
    end if;
    execute format('revoke execute on function %s from public', r.signature);
    if v_has_anon then
      execute format('revoke execute on function %s from anon', r.signature);
    end if;
    if v_has_authenticated then
      execute format('revoke execute on function %s from authenticated', r.signature);
    end if;
    -- Only the owner that migrates runs this one.
    if v_has_service and not v_self then
      execute format('grant execute on function %s to service_role', r.signature);
    end if;
  end loop;
end $$;

select inbox_secure_objects(current_schema());

-- PostgREST caches the schema: reload it so the functions' new grants apply at once.
notify pgrst, 'reload schema';
