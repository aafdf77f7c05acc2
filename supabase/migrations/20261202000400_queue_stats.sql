-- Observability (issue 11): what a /metrics scrape reads from the queue, and the timestamps a
-- worker needs to measure how long a job waited before it was picked up.

-- Queue depth for the metrics scrape: the unfinished jobs only, each count read from its partial
-- index (pending: inbox_jobs_pending_idx, processing: inbox_jobs_lease_idx), so a scrape costs the
-- size of the backlog, not of the history. Finished jobs grow without bound; the workers' counters
-- (docinbox_jobs_completed_total, ...) count those. Ages come from the database clock.
create or replace function inbox_queue_stats()
returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'pending', (select count(*) from inbox_jobs where status = 'pending'),
    'runnable', (select count(*) from inbox_jobs where status = 'pending' and run_at <= now()),
    'processing', (select count(*) from inbox_jobs where status = 'processing'),
    'expired_leases', (select count(*) from inbox_jobs where status = 'processing' and locked_until < now()),
    'oldest_runnable_age_seconds', (
      select extract(epoch from now() - j.run_at)::double precision
      from inbox_jobs j where j.status = 'pending' and j.run_at <= now()
      order by j.run_at, j.created_at limit 1))
$$;

-- The claim as in 20261201000000_foundation_v2.sql, its answer now carrying each job's created_at,
-- run_at (since when it was runnable), claimed_at (the database's clock, so no clock skew between
-- hosts) and from_pending (false for a takeover after a lease ran out, which did not wait in the
-- queue). The worker's pickup-latency histogram is claimed_at - run_at of the jobs from pending.
create or replace function inbox_claim_jobs(p_worker text, p_limit integer, p_lease_seconds integer)
returns jsonb
language plpgsql as $$
declare
  v_max_crashes constant integer := 5;
  v_ids uuid[];
  v_result jsonb;
begin
  with dead as (
    select j.id from inbox_jobs j
    where j.status = 'processing' and j.locked_until < now() and j.crashes + 1 >= v_max_crashes
    for update skip locked
  ), failed as (
    update inbox_jobs j set status = 'failed', crashes = j.crashes + 1, completed_at = now(), updated_at = now(),
      locked_by = null, locked_until = null,
      error = format('the worker processing it stopped %s times (lease expired); giving up', j.crashes + 1)
    from dead where j.id = dead.id
    returning j.id, j.tenant_id, j.error, j.crashes
  ), ended as (
    update inbox_job_documents d set status = 'failed', completed_at = now(),
      error = jsonb_build_object('code', 'job_failed', 'message', f.error)
    from failed f where d.job_id = f.id and d.status = 'pending'
    returning d.job_id
  )
  insert into inbox_job_events (tenant_id, job_id, type, payload)
  select f.tenant_id, f.id, e.type, e.payload
  from failed f
  cross join lateral (values
    ('job.lease_expired', jsonb_build_object('crashes', f.crashes)),
    ('job.failed', jsonb_build_object('error', f.error, 'documents_ended', (select count(*) from ended where ended.job_id = f.id)))
  ) as e (type, payload);

  -- Jobs whose worker died come first (rare: usually none), then pending ones, oldest first; each
  -- path reads its own index in order and stops at the limit.
  with expired as (
    select j.id from inbox_jobs j
    where j.status = 'processing' and j.locked_until < now()
    order by j.locked_until
    limit p_limit
    for update skip locked
  ), pending as (
    select j.id from inbox_jobs j
    where j.status = 'pending' and j.run_at <= now()
    order by j.run_at, j.created_at
    limit greatest(p_limit - (select count(*) from expired), 0)
    for update skip locked
  )
  select coalesce(array_agg(x.id), '{}'::uuid[]) into v_ids
  from (select id from expired union all select id from pending) x;
  if cardinality(v_ids) = 0 then return '[]'::jsonb; end if;

  -- The rows are locked and by primary key from here on (a join with the picked set would let the
  -- planner scan the whole queue). A takeover is logged while the dead worker is still on the row.
  insert into inbox_job_events (tenant_id, job_id, type, payload)
  select j.tenant_id, j.id, 'job.lease_expired', jsonb_build_object('worker', j.locked_by, 'crashes', j.crashes + 1)
  from inbox_jobs j where j.id = any(v_ids) and j.status = 'processing'
  order by j.run_at, j.created_at;

  with claimed as (
    update inbox_jobs j set
      status = 'processing',
      attempts = j.attempts + case when j.status = 'pending' then 1 else 0 end,
      claim_counted_attempt = j.status = 'pending',
      crashes = j.crashes + case when j.status = 'processing' then 1 else 0 end,
      locked_by = p_worker,
      locked_until = now() + make_interval(secs => p_lease_seconds),
      started_at = coalesce(j.started_at, now()),
      updated_at = now()
    where j.id = any(v_ids)
    returning j.id, j.tenant_id, j.attempts, j.crashes, j.max_attempts, j.categories, j.run_at, j.created_at,
      j.claim_counted_attempt
  ), logged as (
    insert into inbox_job_events (tenant_id, job_id, type, payload)
    select c.tenant_id, c.id, 'job.started', jsonb_build_object('attempt', c.attempts, 'worker', p_worker)
    from claimed c
    order by c.run_at, c.created_at
  )
  select coalesce(jsonb_agg(jsonb_build_object(
      'id', c.id, 'tenant_id', c.tenant_id, 'attempts', c.attempts, 'crashes', c.crashes,
      'max_attempts', c.max_attempts, 'categories', to_jsonb(c.categories),
      'created_at', c.created_at, 'run_at', c.run_at, 'claimed_at', now(), 'from_pending', c.claim_counted_attempt,
      'documents', coalesce((select jsonb_agg(jsonb_build_object(
          'index', d.doc_index, 'file_position', d.file_position, 'page_from', d.page_from, 'page_to', d.page_to,
          'filename', f.filename, 'content_type', f.content_type, 'size', f.size, 'blob_key', f.blob_key)
          order by d.doc_index)
        from inbox_job_documents d
        join inbox_job_files f on f.job_id = d.job_id and f.position = d.file_position
        where d.job_id = c.id and d.status = 'pending'), '[]'::jsonb))
      order by c.run_at, c.created_at), '[]'::jsonb)
  into v_result
  from claimed c;
  return v_result;
end $$;

select inbox_secure_objects(current_schema());
notify pgrst, 'reload schema';
