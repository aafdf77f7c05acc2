-- Rate limits and retention (issue 11).
--
-- Rate limits are counted here, not in a process's memory, so that they hold across any number of
-- server processes: one row per (tenant, bucket), a fixed window that starts at the first request
-- after the previous one ended, taken with one atomic upsert.
--
-- Retention: RETENTION_FILES_DAYS after a job ends its files' bytes and page text go (its results
-- stay, and each file says when it was purged); RETENTION_JOBS_DAYS after, the whole job goes. The
-- worker calls the purge functions on a schedule, a batch at a time; FOR UPDATE SKIP LOCKED keeps
-- two workers from fighting over the same jobs. The functions answer the blob keys they released:
-- the worker deletes those from the BlobStore (the orphan sweep is the backstop).

-- Rate limits -------------------------------------------------------------------------------------
create table if not exists inbox_rate_counters (
  tenant_id     text not null,
  bucket        text not null,
  window_start  timestamptz not null,
  hits          integer not null,
  primary key (tenant_id, bucket)
);

-- Takes one request from the tenant's bucket: at most p_limit per p_window_seconds. Answers
-- {allowed, limit, remaining, retry_after_seconds} (retry_after_seconds 0 when allowed). A refused
-- request is not counted past the limit, so a client hammering a closed window does not extend it.
-- The row is reused from window to window, so there is nothing old to clean up.
create or replace function inbox_take_rate(p_tenant text, p_bucket text, p_limit integer, p_window_seconds integer)
returns jsonb
language plpgsql as $$
declare
  v_now timestamptz := clock_timestamp();
  v_window interval := make_interval(secs => p_window_seconds);
  v_start timestamptz;
  v_hits integer;
begin
  insert into inbox_rate_counters as c (tenant_id, bucket, window_start, hits)
  values (p_tenant, p_bucket, v_now, 1)
  on conflict (tenant_id, bucket) do update set
    window_start = case when c.window_start + v_window <= v_now then v_now else c.window_start end,
    hits = case when c.window_start + v_window <= v_now then 1 else least(c.hits + 1, p_limit + 1) end
  returning window_start, hits into v_start, v_hits;
  return jsonb_build_object(
    'allowed', v_hits <= p_limit,
    'limit', p_limit,
    'remaining', greatest(p_limit - v_hits, 0),
    'retry_after_seconds', case when v_hits <= p_limit then 0
      else greatest(1, ceil(extract(epoch from (v_start + v_window - v_now))))::integer end);
end $$;

-- Retention ---------------------------------------------------------------------------------------
alter table inbox_job_files add column if not exists purged_at timestamptz;
-- The purge's path: finished jobs by the time they ended.
create index if not exists inbox_jobs_finished_idx on inbox_jobs (completed_at)
  where status in ('completed', 'failed', 'cancelled');

-- Purges the files of up to p_limit jobs that ended more than p_days ago and still hold files:
-- deletes their page text, marks each file purged (its blob_key cleared) and records the event.
-- Answers {jobs, files, blob_keys}.
create or replace function inbox_purge_job_files(p_days integer, p_limit integer)
returns jsonb
language plpgsql as $$
declare
  v_jobs uuid[];
  v_keys jsonb;
  v_files integer;
begin
  select coalesce(array_agg(id), '{}') into v_jobs from (
    select j.id from inbox_jobs j
    where j.status in ('completed', 'failed', 'cancelled')
      and j.completed_at < now() - make_interval(days => p_days)
      and exists (select 1 from inbox_job_files f where f.job_id = j.id and f.purged_at is null)
    order by j.completed_at
    limit p_limit
    for update of j skip locked
  ) picked;
  if cardinality(v_jobs) = 0 then
    return jsonb_build_object('jobs', 0, 'files', 0, 'blob_keys', '[]'::jsonb);
  end if;
  select coalesce(jsonb_agg(f.blob_key) filter (where f.blob_key is not null), '[]'::jsonb), count(*)
  into v_keys, v_files
  from inbox_job_files f where f.job_id = any (v_jobs) and f.purged_at is null;
  delete from inbox_pages where job_id = any (v_jobs);
  update inbox_job_files set purged_at = now(), blob_key = null
  where job_id = any (v_jobs) and purged_at is null;
  insert into inbox_job_events (tenant_id, job_id, type, payload)
  select j.tenant_id, j.id, 'job.files_purged', jsonb_build_object('retention_days', p_days)
  from inbox_jobs j where j.id = any (v_jobs);
  return jsonb_build_object('jobs', cardinality(v_jobs), 'files', v_files, 'blob_keys', v_keys);
end $$;

-- Deletes up to p_limit jobs that ended more than p_days ago, whole: rows, pages, events.
-- Answers {jobs, blob_keys}.
create or replace function inbox_purge_old_jobs(p_days integer, p_limit integer)
returns jsonb
language plpgsql as $$
declare
  v_jobs uuid[];
  v_keys jsonb;
begin
  select coalesce(array_agg(id), '{}') into v_jobs from (
    select j.id from inbox_jobs j
    where j.status in ('completed', 'failed', 'cancelled')
      and j.completed_at < now() - make_interval(days => p_days)
    order by j.completed_at
    limit p_limit
    for update of j skip locked
  ) picked;
  if cardinality(v_jobs) = 0 then
    return jsonb_build_object('jobs', 0, 'blob_keys', '[]'::jsonb);
  end if;
  select coalesce(jsonb_agg(f.blob_key) filter (where f.blob_key is not null), '[]'::jsonb) into v_keys
  from inbox_job_files f where f.job_id = any (v_jobs);
  delete from inbox_job_events where job_id = any (v_jobs);
  -- Files, documents and pages go with the job (on delete cascade).
  delete from inbox_jobs where id = any (v_jobs);
  return jsonb_build_object('jobs', cardinality(v_jobs), 'blob_keys', v_keys);
end $$;

-- One uploaded file of the tenant's job, for download: {file} (null when the job has no file at
-- that position), or null when the tenant has no such job.
create or replace function inbox_get_file(p_tenant text, p_job uuid, p_position integer)
returns jsonb
language sql stable as $$
  select jsonb_build_object('file', (
    select jsonb_build_object(
      'position', f.position, 'filename', f.filename, 'content_type', f.content_type, 'size', f.size,
      'sha256', f.sha256, 'blob_key', f.blob_key, 'purged_at', f.purged_at)
    from inbox_job_files f where f.job_id = j.id and f.position = p_position))
  from inbox_jobs j where j.id = p_job and j.tenant_id = p_tenant
$$;

-- As in 20261201000000_foundation_v2.sql, with each file's purged_at.
create or replace function inbox_get_job(p_tenant text, p_id uuid)
returns jsonb
language sql stable as $$
  select inbox_job_json(j) || jsonb_build_object(
    'files', coalesce((select jsonb_agg(jsonb_build_object(
        'position', f.position, 'filename', f.filename, 'content_type', f.content_type, 'size', f.size,
        'sha256', f.sha256, 'page_count', f.page_count, 'blob_key', f.blob_key, 'purged_at', f.purged_at)
        order by f.position)
      from inbox_job_files f where f.job_id = j.id), '[]'::jsonb),
    'documents', coalesce((select jsonb_agg(jsonb_build_object(
        'index', d.doc_index, 'file_position', d.file_position, 'page_from', d.page_from, 'page_to', d.page_to,
        'status', d.status, 'result', d.result, 'error', d.error, 'completed_at', d.completed_at)
        order by d.doc_index)
      from inbox_job_documents d where d.job_id = j.id), '[]'::jsonb),
    'events', coalesce((select jsonb_agg(jsonb_build_object(
        'id', e.id::text, 'type', e.type, 'payload', e.payload, 'created_at', e.created_at) order by e.id)
      from inbox_job_events e where e.job_id = j.id), '[]'::jsonb))
  from inbox_jobs j where j.id = p_id and j.tenant_id = p_tenant
$$;

-- As in 20261201000000_foundation_v2.sql, except that a job whose files were purged cannot run
-- again (there is nothing left to read): it answers {retried: false, purged: true, job}.
create or replace function inbox_retry_job(p_tenant text, p_id uuid)
returns jsonb
language plpgsql as $$
declare
  v_job inbox_jobs;
  v_reopened integer;
begin
  select * into v_job from inbox_jobs where id = p_id and tenant_id = p_tenant for update;
  if not found then return null; end if;
  if v_job.status not in ('failed', 'cancelled') then
    return jsonb_build_object('retried', false, 'job', inbox_job_json(v_job));
  end if;
  if exists (select 1 from inbox_job_files f where f.job_id = p_id and f.purged_at is not null) then
    return jsonb_build_object('retried', false, 'purged', true, 'job', inbox_job_json(v_job));
  end if;
  update inbox_job_documents set status = 'pending', error = null, completed_at = null
  where job_id = p_id and (status = 'skipped' or (status = 'failed' and error->>'code' = 'job_failed'));
  get diagnostics v_reopened = row_count;
  update inbox_jobs j set status = 'pending', run_at = now(), attempts = 0, crashes = 0, error = null,
    completed_at = null, updated_at = now(),
    processed_documents = (select count(*) from inbox_job_documents d where d.job_id = j.id and d.status <> 'pending'),
    failed_documents = (select count(*) from inbox_job_documents d where d.job_id = j.id and d.status = 'failed'),
    progress = (100 * (select count(*) from inbox_job_documents d where d.job_id = j.id and d.status <> 'pending')
                / j.total_documents)::smallint
  where j.id = p_id
  returning * into v_job;
  insert into inbox_job_events (tenant_id, job_id, type, payload)
  values (p_tenant, p_id, 'job.retried', jsonb_build_object('documents', v_reopened));
  perform pg_notify('inbox_jobs', p_id::text);
  return jsonb_build_object('retried', true, 'job', inbox_job_json(v_job));
end $$;

select inbox_secure_objects(current_schema());
notify pgrst, 'reload schema';
