-- The queue's functions again, for speed (issue 12); names, parameters, results and behaviour
-- unchanged (the same rows, events, crash counting and NOTIFYs). Measured with `npm run bench:queue`:
-- - all in plpgsql, whose statements keep their plans for the session (a `language sql` function
--   that cannot be inlined is planned again on every call);
-- - the claim probes the lease index once and runs the crash paths (dead workers' jobs, takeovers)
--   only when a lease ran out, instead of three statements every call whose generic plans read
--   inbox_job_documents from end to end;
-- - each path reads its own index in order (the pending one, the lease one), the claimed rows are
--   updated by primary key;
-- - the outcomes' jobs are locked by primary key only;
-- - the claim and the outcomes run on generic plans, planned once per session.

create or replace function inbox_end_unfinished_documents(p_job uuid, p_status text, p_code text, p_message text)
returns void
language plpgsql as $$
begin
  update inbox_job_documents set status = p_status, completed_at = now(),
    error = jsonb_build_object('code', p_code, 'message', p_message)
  where job_id = p_job and status = 'pending';
end $$;

-- Claim: up to p_limit runnable jobs, oldest first, skipping rows other workers hold, under a
-- lease. A pending job's claim counts an attempt. A processing job whose lease ran out (its worker
-- died) is taken over as a crash, not an attempt; after 5 crashes it fails, so a document that
-- kills every worker still ends. Answers the jobs with their unfinished documents.
create or replace function inbox_claim_jobs(p_worker text, p_limit integer, p_lease_seconds integer)
returns jsonb
language plpgsql
-- A custom plan for `limit p_limit` always looks cheaper than the generic one, so without this
-- PostgreSQL plans the claim's statements again on every call; the generic plans read the indexes.
set plan_cache_mode = force_generic_plan
as $$
declare
  v_max_crashes constant integer := 5;
  v_expired uuid[] := '{}';
  v_ids uuid[];
  v_result jsonb;
begin
  -- Leases that ran out are rare (a worker died): one probe of the lease index says whether the
  -- crash paths have anything to do.
  if exists (select 1 from inbox_jobs j where j.status = 'processing' and j.locked_until < now()) then
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

    -- Jobs whose worker died come first, oldest lease first.
    select coalesce(array_agg(x.id), '{}'::uuid[]) into v_expired from (
      select j.id from inbox_jobs j
      where j.status = 'processing' and j.locked_until < now()
      order by j.locked_until
      limit p_limit
      for update skip locked
    ) x;
  end if;

  -- Then pending ones, oldest first, in the order of the pending index, stopping at the limit.
  if cardinality(v_expired) < p_limit then
    select v_expired || coalesce(array_agg(x.id), '{}'::uuid[]) into v_ids from (
      select j.id from inbox_jobs j
      where j.status = 'pending' and j.run_at <= now()
      order by j.run_at, j.created_at
      limit p_limit - cardinality(v_expired)
      for update skip locked
    ) x;
  else
    v_ids := v_expired;
  end if;
  if cardinality(v_ids) = 0 then return '[]'::jsonb; end if;

  -- The rows are locked and by primary key from here on (a join with the picked set would let the
  -- planner scan the whole queue). A takeover is logged while the dead worker is still on the row.
  if cardinality(v_expired) > 0 then
    insert into inbox_job_events (tenant_id, job_id, type, payload)
    select j.tenant_id, j.id, 'job.lease_expired', jsonb_build_object('worker', j.locked_by, 'crashes', j.crashes + 1)
    from inbox_jobs j where j.id = any(v_expired) and j.status = 'processing'
    order by j.run_at, j.created_at;
  end if;

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
      -- For the pickup-latency metric (20261202000400_queue_stats.sql): claimed_at by the database's clock.
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

-- Heartbeat: renews the leases this worker still holds and answers their ids. A job cancelled,
-- deleted or taken over by another worker is missing from the answer: the worker stops it.
create or replace function inbox_heartbeat(p_worker text, p_ids jsonb, p_lease_seconds integer)
returns jsonb
language plpgsql as $$
declare
  v_held jsonb;
begin
  with renewed as (
    update inbox_jobs set locked_until = now() + make_interval(secs => p_lease_seconds), updated_at = now()
    where id = any(array(select (x)::uuid from jsonb_array_elements_text(p_ids) x))
      and status = 'processing' and locked_by = p_worker
    returning id
  )
  select coalesce(jsonb_agg(id), '[]'::jsonb) into v_held from renewed;
  return v_held;
end $$;

-- Records document outcomes in one call (the worker batches them). Each element:
-- {jobId, index, status: 'completed'|'failed', result?, error?, filePosition?, pageCount?,
--  pages?: [{number, text, source, confidence}]}. The jobs are locked first, so an outcome loses
-- to a cancel that committed first and one from a worker whose lease was taken over is ignored; a
-- document already done is never written twice. A job whose documents are all done is completed
-- in the same call. Answers the ids of the jobs this call completed.
create or replace function inbox_record_outcomes(p_worker text, p_outcomes jsonb)
returns jsonb
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
declare
  v_completed jsonb;
  v_jobs uuid[];
begin
  select array_agg(distinct (o->>'jobId')::uuid) into v_jobs from jsonb_array_elements(p_outcomes) o;
  with input as (
    select (o->>'jobId')::uuid as job_id, (o->>'index')::integer as doc_index, o->>'status' as status,
           o->'result' as result, o->'error' as error, (o->>'filePosition')::integer as file_position,
           (o->>'pageCount')::integer as page_count, coalesce(o->'pages', '[]'::jsonb) as pages
    from jsonb_array_elements(p_outcomes) o
  ), held as (
    -- By primary key only: `is true` keeps the planner from ANDing in the lease index (whose
    -- dead entries it would read), the ids come as a parameter so the cached plan is stable.
    select j.id, j.tenant_id from inbox_jobs j
    where j.id = any(v_jobs) and (j.status = 'processing') is true and j.locked_by = p_worker
    for update
  ), written as (
    update inbox_job_documents d set
      status = i.status, result = i.result, error = i.error, completed_at = now(),
      label = i.result->>'document_type', confidence = (i.result->>'confidence')::real
    from input i
    join held h on h.id = i.job_id
    where d.job_id = i.job_id and d.doc_index = i.doc_index and d.status = 'pending'
    returning d.job_id, d.doc_index, d.file_position, d.status, d.label, d.confidence,
              d.error->>'code' as error_code, h.tenant_id
  ), paged as (
    -- Page text of the files just read; a page kept by an earlier attempt stays as it is.
    insert into inbox_pages (job_id, file_position, page_number, text, source, confidence)
    select w.job_id, w.file_position, (p->>'number')::integer, left(p->>'text', 20000), p->>'source',
           (p->>'confidence')::real
    from written w
    join input i on i.job_id = w.job_id and i.doc_index = w.doc_index
    cross join lateral jsonb_array_elements(i.pages) p
    on conflict do nothing
  ), counted as (
    update inbox_job_files f set page_count = i.page_count
    from written w
    join input i on i.job_id = w.job_id and i.doc_index = w.doc_index
    where i.page_count is not null and f.job_id = w.job_id and f.position = w.file_position
  ), delta as (
    select w.job_id, count(*)::integer as done, (count(*) filter (where w.status = 'failed'))::integer as failed
    from written w group by w.job_id
  ), updated as (
    -- Counts are added to the row as it is now (locked above), not as this statement's snapshot saw it.
    update inbox_jobs j set
      processed_documents = j.processed_documents + d.done,
      failed_documents = j.failed_documents + d.failed,
      progress = (100 * (j.processed_documents + d.done) / j.total_documents)::smallint,
      status = case when j.processed_documents + d.done = j.total_documents then 'completed' else j.status end,
      completed_at = case when j.processed_documents + d.done = j.total_documents then now() else null end,
      locked_by = case when j.processed_documents + d.done = j.total_documents then null else j.locked_by end,
      locked_until = case when j.processed_documents + d.done = j.total_documents then null else j.locked_until end,
      error = case when j.processed_documents + d.done = j.total_documents then null else j.error end,
      updated_at = now()
    from delta d
    where j.id = d.job_id
    returning j.id, j.tenant_id, j.status, j.total_documents, j.failed_documents
  ), logged as (
    -- The timeline in order: a job's documents, then the job itself.
    insert into inbox_job_events (tenant_id, job_id, type, payload)
    select e.tenant_id, e.job_id, e.type, e.payload from (
      select w.tenant_id, w.job_id, 1 as ord, w.doc_index,
             case when w.status = 'completed' then 'document.completed' else 'document.failed' end as type,
             case when w.status = 'completed'
                  then jsonb_build_object('index', w.doc_index, 'label', w.label, 'confidence', w.confidence)
                  else jsonb_build_object('index', w.doc_index, 'code', w.error_code) end as payload
      from written w
      union all
      select u.tenant_id, u.id, 2, null, 'job.completed', jsonb_build_object(
        'documents', u.total_documents, 'completed', u.total_documents - u.failed_documents,
        'failed', u.failed_documents)
      from updated u where u.status = 'completed'
    ) e
    order by e.job_id, e.ord, e.doc_index
  )
  select coalesce(jsonb_agg(u.id), '[]'::jsonb) into v_completed from updated u where u.status = 'completed';
  return v_completed;
end $$;

select inbox_secure_objects(current_schema());
notify pgrst, 'reload schema';
