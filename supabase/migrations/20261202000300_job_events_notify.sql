-- Live progress (issue 11): what GET /job/{id}/events and GET /job/{id}?wait=N read.
--
-- A job's events are written while its row is locked (every function that inserts one updates or
-- locks the job first, or creates it), so a job's event ids grow in commit order: a reader that
-- has seen event n of a job has seen every earlier one, and "the events after n" misses nothing.

-- The tenant's job's events after p_after_id (oldest first, at most p_limit) with the job's status
-- and its last event id, all from one snapshot; null when the tenant has no such job.
create or replace function inbox_job_events_after(p_tenant text, p_job uuid, p_after_id bigint, p_limit integer)
returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'status', j.status,
    'last_event_id', (select max(e.id)::text from inbox_job_events e where e.job_id = j.id),
    'events', coalesce((
      select jsonb_agg(jsonb_build_object(
          'id', e.id::text, 'type', e.type, 'payload', e.payload, 'created_at', e.created_at) order by e.id)
      from (select * from inbox_job_events e
            where e.job_id = j.id and e.id > coalesce(p_after_id, 0)
            order by e.id
            limit greatest(p_limit, 1)) e), '[]'::jsonb))
  from inbox_jobs j where j.id = p_job and j.tenant_id = p_tenant
$$;

-- The jobs someone is following live, and until when (the HTTP role renews what it follows). Only
-- these jobs' events are notified: a NOTIFY holds a database-wide lock from its transaction's
-- commit until the commit is flushed, so notifying every event would make the workers' commits
-- wait for each other's fsync (measured on a small dev box, 8 connections logging one event per
-- transaction: ~1,100 commits/s without NOTIFY, ~200 with). Nobody following costs one probe of this
-- (empty) table per statement.
create table if not exists inbox_job_watches (
  job_id uuid primary key,
  watched_until timestamptz not null
);

-- Watches the jobs (a jsonb array of ids) for p_seconds more, and forgets the watches that ran out.
create or replace function inbox_watch_jobs(p_jobs jsonb, p_seconds integer)
returns void
language plpgsql as $$
begin
  insert into inbox_job_watches (job_id, watched_until)
  select distinct (j #>> '{}')::uuid, now() + make_interval(secs => p_seconds)
  from jsonb_array_elements(p_jobs) j
  on conflict (job_id) do update
    set watched_until = greatest(inbox_job_watches.watched_until, excluded.watched_until);
  delete from inbox_job_watches w where w.watched_until < now();
end $$;

-- One NOTIFY per statement that logs events for watched jobs (a claim of 50 jobs is one insert,
-- one notification), on channel inbox_job_events, delivered at commit. The payload lists the
-- watched jobs, comma-separated; an empty payload means "any job may have changed" (NOTIFY
-- payloads stop at 8000 bytes, and 37 bytes a job fill that at about 216 jobs).
create or replace function inbox_notify_job_events()
returns trigger
language plpgsql as $$
declare
  v_jobs text;
begin
  if not exists (select 1 from inbox_job_watches) then return null; end if;
  select string_agg(distinct i.job_id::text, ',') into v_jobs
  from inserted i
  where exists (select 1 from inbox_job_watches w where w.job_id = i.job_id and w.watched_until >= now());
  if v_jobs is null then return null; end if;
  perform pg_notify('inbox_job_events', case when length(v_jobs) < 8000 then v_jobs else '' end);
  return null;
end $$;

drop trigger if exists inbox_job_events_notify on inbox_job_events;
create trigger inbox_job_events_notify
  after insert on inbox_job_events
  referencing new table as inserted
  for each statement execute function inbox_notify_job_events();

select inbox_secure_objects(current_schema());
notify pgrst, 'reload schema';
