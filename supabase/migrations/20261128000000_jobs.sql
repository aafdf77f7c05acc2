-- Doc Inbox: jobs, their files, and the queue's SQL API.
-- Plain SQL that runs unchanged on PostgreSQL, Supabase and PGlite. Every queue operation is one
-- function so that each transport (pg, PGlite, Supabase RPC) gets the same atomic behaviour.

create table if not exists inbox_jobs (
  id               uuid primary key,
  type             text not null default 'classify' check (type in ('classify')),
  status           text not null default 'pending'
                   check (status in ('pending', 'processing', 'completed', 'failed', 'cancelled')),
  progress         smallint not null default 0 check (progress between 0 and 100),
  total_files      integer not null check (total_files > 0),
  processed_files  integer not null default 0,
  failed_files     integer not null default 0,
  attempts         integer not null default 0,
  max_attempts     integer not null default 3 check (max_attempts > 0),
  run_at           timestamptz not null default now(),
  locked_by        text,
  locked_until     timestamptz,
  error            text,
  result           jsonb,
  categories       text[],
  owner            text,
  idempotency_key  text unique,
  created_at       timestamptz not null default now(),
  started_at       timestamptz,
  completed_at     timestamptz,
  updated_at       timestamptz not null default now()
);

-- The claim query's path: runnable jobs, oldest first.
create index if not exists inbox_jobs_runnable_idx on inbox_jobs (run_at, created_at)
  where status in ('pending', 'processing');
create index if not exists inbox_jobs_listing_idx on inbox_jobs (created_at desc, id desc);
create index if not exists inbox_jobs_status_listing_idx on inbox_jobs (status, created_at desc, id desc);

create table if not exists inbox_job_files (
  job_id        uuid not null references inbox_jobs (id) on delete cascade,
  position      integer not null check (position >= 0),
  filename      text not null,
  content_type  text not null,
  size          integer not null,
  sha256        text not null,
  bytes         bytea not null,
  status        text not null default 'pending' check (status in ('pending', 'completed', 'failed')),
  result        jsonb,
  error         jsonb,
  text          text,
  completed_at  timestamptz,
  primary key (job_id, position)
);
-- Documents are mostly compressed already (PDF streams, JPEG, PNG): storing them out of line
-- without pglz compression saves milliseconds of CPU per upload for little space.
alter table inbox_job_files alter column bytes set storage external;

-- Wakes idle workers at once; polling stays as the fallback.
create or replace function inbox_notify_job_created() returns trigger
language plpgsql as $$
begin
  perform pg_notify('inbox_jobs', new.id::text);
  return null;
end $$;

drop trigger if exists inbox_jobs_notify on inbox_jobs;
create trigger inbox_jobs_notify after insert on inbox_jobs
  for each row execute function inbox_notify_job_created();

-- Claim: up to p_limit runnable jobs, oldest first, skipping rows other workers hold. A job in
-- 'processing' whose lease expired (its worker died) is runnable again. Each claim counts an
-- attempt. Returns the jobs with the files they have still to do (metadata only).
create or replace function inbox_claim_jobs(p_worker text, p_limit integer, p_lease_seconds integer)
returns table (id uuid, attempts integer, max_attempts integer, categories text[], pending_files jsonb)
language sql as $$
  -- A job whose worker died holding its last attempt is failed, not run again.
  update inbox_jobs set status = 'failed', completed_at = now(), updated_at = now(),
    locked_by = null, locked_until = null,
    error = coalesce(error || '; ', '') || 'the worker processing it stopped (lease expired) on its last attempt'
  where status = 'processing' and locked_until < now() and attempts >= max_attempts;

  with picked as (
    select j.id from inbox_jobs j
    where (j.status = 'pending' and j.run_at <= now())
       or (j.status = 'processing' and j.locked_until < now())
    order by j.run_at, j.created_at
    limit p_limit
    for update skip locked
  ), claimed as (
    update inbox_jobs j set
      status = 'processing',
      attempts = j.attempts + 1,
      locked_by = p_worker,
      locked_until = now() + make_interval(secs => p_lease_seconds),
      started_at = coalesce(j.started_at, now()),
      updated_at = now()
    from picked where j.id = picked.id
    returning j.id, j.attempts, j.max_attempts, j.categories, j.run_at, j.created_at
  )
  select c.id, c.attempts, c.max_attempts, c.categories,
    coalesce((select jsonb_agg(jsonb_build_object(
        'position', f.position, 'filename', f.filename,
        'contentType', f.content_type, 'size', f.size) order by f.position)
      from inbox_job_files f where f.job_id = c.id and f.status = 'pending'), '[]'::jsonb)
  from claimed c
  order by c.run_at, c.created_at
$$;

-- Heartbeat: renews the leases this worker still holds; returns them. A job cancelled or
-- reclaimed by another worker is missing from the answer, which tells the worker to stop it.
create or replace function inbox_heartbeat(p_worker text, p_ids uuid[], p_lease_seconds integer)
returns setof uuid
language sql as $$
  update inbox_jobs set locked_until = now() + make_interval(secs => p_lease_seconds), updated_at = now()
  where id = any(p_ids) and status = 'processing' and locked_by = p_worker
  returning id
$$;

-- Records file outcomes in one call (the worker batches them): each element is
-- {jobId, position, status: 'completed'|'failed', result?, error?, text?}. Outcomes for jobs
-- the worker no longer holds are ignored, and a file already done is never written twice. A
-- job whose files are all done becomes completed in the same statement. Returns the ids of the
-- jobs this call completed.
create or replace function inbox_record_file_outcomes(p_worker text, p_outcomes jsonb)
returns setof uuid
language sql as $$
  with input as (
    select (o->>'jobId')::uuid as job_id, (o->>'position')::integer as position,
           o->>'status' as status, o->'result' as result, o->'error' as error, o->>'text' as text
    from jsonb_array_elements(p_outcomes) o
  ), written as (
    update inbox_job_files f set
      status = i.status, result = i.result, error = i.error, text = i.text, completed_at = now()
    from input i
    join inbox_jobs j on j.id = i.job_id and j.status = 'processing' and j.locked_by = p_worker
    where f.job_id = i.job_id and f.position = i.position and f.status = 'pending'
    returning f.job_id, f.status
  ), delta as (
    select w.job_id, count(*) as done, count(*) filter (where w.status = 'failed') as failed
    from written w group by w.job_id
  ), counts as (
    -- This scan sees the files as they were before `written`, so add the delta.
    select d.job_id, j.total_files as total,
      j.processed_files + d.done as done,
      j.failed_files + d.failed as failed
    from delta d join inbox_jobs j on j.id = d.job_id
  ), updated as (
    update inbox_jobs j set
      processed_files = c.done,
      failed_files = c.failed,
      progress = (100 * c.done / c.total)::smallint,
      status = case when c.done = c.total then 'completed' else j.status end,
      completed_at = case when c.done = c.total then now() else null end,
      locked_by = case when c.done = c.total then null else j.locked_by end,
      locked_until = case when c.done = c.total then null else j.locked_until end,
      error = case when c.done = c.total then null else j.error end,
      result = case when c.done = c.total then jsonb_build_object(
        'documents', c.total, 'completed', c.done - c.failed, 'failed', c.failed) else j.result end,
      updated_at = now()
    from counts c
    where j.id = c.job_id
    returning j.id, j.status
  )
  select u.id from updated u where u.status = 'completed'
$$;

-- A job-level failure (the pipeline itself broke, e.g. a provider was down for every retry).
-- With attempts left: back to pending, run_at pushed out by exponential backoff with jitter.
-- None left: failed, with the error kept. Returns the new status (null if not held).
create or replace function inbox_fail_job(p_worker text, p_id uuid, p_error text)
returns text
language sql as $$
  update inbox_jobs set
    status = case when attempts < max_attempts then 'pending' else 'failed' end,
    run_at = case when attempts < max_attempts
      then now() + make_interval(secs => least(3600, power(2, attempts) * (0.75 + random() * 0.5)))
      else run_at end,
    completed_at = case when attempts < max_attempts then null else now() end,
    error = p_error,
    locked_by = null,
    locked_until = null,
    updated_at = now()
  where id = p_id and status = 'processing' and locked_by = p_worker
  returning status
$$;

-- Graceful shutdown: hands held jobs back at once without spending an attempt.
create or replace function inbox_release_jobs(p_worker text, p_ids uuid[])
returns void
language sql as $$
  update inbox_jobs set status = 'pending', attempts = greatest(attempts - 1, 0),
    run_at = now(), locked_by = null, locked_until = null, updated_at = now()
  where id = any(p_ids) and status = 'processing' and locked_by = p_worker
$$;

-- Cancel a pending or processing job; a finished job is left as it is. Returns the job's status
-- after the call, or null when there is no such job.
create or replace function inbox_cancel_job(p_id uuid)
returns text
language sql as $$
  with cancelled as (
    update inbox_jobs set status = 'cancelled', locked_by = null, locked_until = null,
      completed_at = now(), updated_at = now()
    where id = p_id and status in ('pending', 'processing')
    returning status
  )
  select status from cancelled
  union all
  select status from inbox_jobs where id = p_id and not exists (select 1 from cancelled)
$$;
