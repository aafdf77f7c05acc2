-- Doc Inbox v2: an owner (tenant) on every row, documents as rows (page ranges of a file), page
-- text kept once, an append-only event log, file bytes behind the BlobStore (blob_key), and every
-- read and write the API and the worker make as a function of this file, so that each transport
-- (pg, PGlite, Supabase's RPC) gets the same atomic behaviour.
--
-- Upgrades a database of the first release in place: its jobs keep their files, documents and
-- outcomes, and unfinished ones resume after the upgrade. Plain SQL and plpgsql that run
-- unchanged on PostgreSQL, Supabase and PGlite. Functions take scalars or jsonb (what an RPC
-- call carries) and answer jsonb.

-- Old API: replaced below (return types change, so they cannot be replaced in place).
drop trigger if exists inbox_jobs_notify on inbox_jobs;
drop function if exists inbox_notify_job_created();
drop function if exists inbox_claim_jobs(text, integer, integer);
drop function if exists inbox_heartbeat(text, uuid[], integer);
drop function if exists inbox_record_file_outcomes(text, jsonb);
drop function if exists inbox_fail_job(text, uuid, text);
drop function if exists inbox_release_jobs(text, uuid[]);
drop function if exists inbox_cancel_job(uuid);

-- Jobs ------------------------------------------------------------------------------------------
alter table inbox_jobs add column if not exists tenant_id text not null default 'default'
  check (tenant_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$');
-- Leases that ran out (the worker died), counted apart from attempts: a crash is the
-- infrastructure's fault, not the job's, yet a document that kills every worker must still end.
alter table inbox_jobs add column if not exists crashes integer not null default 0;
-- Whether the current claim spent an attempt (a takeover after a crash does not), so handing the
-- job back gives back exactly what the claim took.
alter table inbox_jobs add column if not exists claim_counted_attempt boolean not null default false;
-- What the upload was (file hashes and options), so a reused Idempotency-Key with another upload
-- is told apart from a retried request.
alter table inbox_jobs add column if not exists idempotency_fingerprint text;
alter table inbox_jobs add column if not exists total_documents integer;
update inbox_jobs set total_documents = total_files where total_documents is null;
alter table inbox_jobs alter column total_documents set not null;
alter table inbox_jobs rename column processed_files to processed_documents;
alter table inbox_jobs rename column failed_files to failed_documents;
alter table inbox_jobs drop column if exists result;
alter table inbox_jobs drop column if exists owner;

alter table inbox_jobs drop constraint if exists inbox_jobs_idempotency_key_key;
create unique index if not exists inbox_jobs_idempotency_idx on inbox_jobs (tenant_id, idempotency_key);

drop index if exists inbox_jobs_listing_idx;
drop index if exists inbox_jobs_status_listing_idx;
create index if not exists inbox_jobs_tenant_listing_idx on inbox_jobs (tenant_id, created_at desc, id desc);
create index if not exists inbox_jobs_tenant_status_listing_idx
  on inbox_jobs (tenant_id, status, created_at desc, id desc);

-- Files: what was uploaded. The bytes live in the BlobStore under blob_key. ------------------------
alter table inbox_job_files add column if not exists blob_key text;
alter table inbox_job_files add column if not exists page_count integer;
alter table inbox_job_files alter column bytes drop not null;
create index if not exists inbox_job_files_blob_key_idx on inbox_job_files (blob_key);

-- Documents: one row per logical document, a page range of a file (today one per file, all of
-- its pages). Outcomes, progress and corrections are keyed by document.
create table if not exists inbox_job_documents (
  job_id         uuid not null references inbox_jobs (id) on delete cascade,
  doc_index      integer not null check (doc_index >= 0),
  file_position  integer not null,
  page_from      integer not null default 1 check (page_from >= 1),
  -- null: to the file's last page (its page count is known once it is read)
  page_to        integer check (page_to >= page_from),
  status         text not null default 'pending'
                 check (status in ('pending', 'completed', 'failed', 'skipped')),
  label          text,
  confidence     real,
  -- the rest of the result: reasons, classifier, model, usage, pages, sources, warnings, timings
  result         jsonb,
  error          jsonb,
  completed_at   timestamptz,
  primary key (job_id, doc_index),
  foreign key (job_id, file_position) references inbox_job_files (job_id, position) on delete cascade
);
create index if not exists inbox_job_documents_file_idx on inbox_job_documents (job_id, file_position);

-- Page text, kept (capped) so that later stages never pay for OCR twice. Pages belong to the file:
-- documents are ranges over them.
create table if not exists inbox_pages (
  job_id         uuid not null,
  file_position  integer not null,
  page_number    integer not null check (page_number >= 1),
  text           text not null,
  source         text not null,
  confidence     real,
  primary key (job_id, file_position, page_number),
  foreign key (job_id, file_position) references inbox_job_files (job_id, position) on delete cascade
);

-- The event log: append-only, written by these functions in the transaction of the change they
-- record. Webhooks, live events, metrics and the job's timeline read it.
create table if not exists inbox_job_events (
  id          bigint generated always as identity primary key,
  tenant_id   text not null,
  job_id      uuid not null,
  type        text not null,
  payload     jsonb not null default '{}'::jsonb,
  created_at  timestamptz not null default now()
);
create index if not exists inbox_job_events_job_idx on inbox_job_events (job_id, id);

-- Carry the first release's rows over: a document per file, with the file's outcome; its text as
-- the first page; its history as one event.
insert into inbox_job_documents (job_id, doc_index, file_position, status, label, confidence, result, error, completed_at)
select f.job_id, f.position, f.position, f.status, f.result->>'document_type', (f.result->>'confidence')::real,
       f.result, f.error, f.completed_at
from inbox_job_files f
on conflict do nothing;

insert into inbox_pages (job_id, file_position, page_number, text, source, confidence)
select f.job_id, f.position, 1, left(f.text, 100000), coalesce(f.result->'text_sources'->>0, 'none'),
       (f.result->>'ocr_confidence')::real
from inbox_job_files f
where f.text is not null
on conflict do nothing;

update inbox_job_files f set page_count = (f.result->>'page_count')::integer
where f.result ? 'page_count' and f.page_count is null;

insert into inbox_job_events (tenant_id, job_id, type, payload, created_at)
select j.tenant_id, j.id, 'job.created', jsonb_build_object('files', j.total_files, 'upgraded', true), j.created_at
from inbox_jobs j
where not exists (select 1 from inbox_job_events e where e.job_id = j.id);

alter table inbox_job_files drop column if exists status;
alter table inbox_job_files drop column if exists result;
alter table inbox_job_files drop column if exists error;
alter table inbox_job_files drop column if exists text;
alter table inbox_job_files drop column if exists completed_at;

-- Corrections: keyed by document, owned by a tenant. -------------------------------------------
alter table inbox_document_corrections add column if not exists tenant_id text not null default 'default';
alter table inbox_document_corrections drop constraint if exists inbox_document_corrections_job_id_position_fkey;
alter table inbox_document_corrections rename column position to doc_index;
alter table inbox_document_corrections
  add constraint inbox_document_corrections_document_fkey foreign key (job_id, doc_index)
  references inbox_job_documents (job_id, doc_index) on delete set null;
create index if not exists inbox_document_corrections_tenant_recent_idx
  on inbox_document_corrections (tenant_id, updated_at desc, id desc);

-- Shapes the API reads ------------------------------------------------------------------------------
create or replace function inbox_job_json(j inbox_jobs) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'id', j.id, 'tenant_id', j.tenant_id, 'type', j.type, 'status', j.status, 'progress', j.progress,
    'total_files', j.total_files, 'total_documents', j.total_documents,
    'processed_documents', j.processed_documents, 'failed_documents', j.failed_documents,
    'attempts', j.attempts, 'crashes', j.crashes, 'max_attempts', j.max_attempts, 'run_at', j.run_at,
    'locked_by', j.locked_by, 'locked_until', j.locked_until, 'error', j.error,
    'categories', to_jsonb(j.categories), 'created_at', j.created_at, 'started_at', j.started_at,
    'completed_at', j.completed_at, 'updated_at', j.updated_at)
$$;

-- Ends the unfinished documents of a job that ended: failed with the job's error, or skipped when
-- it was cancelled. Never a pending document inside a finished job.
create or replace function inbox_end_unfinished_documents(p_job uuid, p_status text, p_code text, p_message text)
returns void
language sql as $$
  update inbox_job_documents set status = p_status, completed_at = now(),
    error = jsonb_build_object('code', p_code, 'message', p_message)
  where job_id = p_job and status = 'pending'
$$;

-- Create: the job, its file rows and one document per file, in one transaction. With an
-- idempotency key the tenant used before, stores nothing and answers with the job that key made,
-- saying whether the upload differs ('conflict').
create or replace function inbox_create_job(
  p_tenant text, p_id uuid, p_files jsonb, p_categories jsonb, p_max_attempts integer,
  p_idempotency_key text default null, p_fingerprint text default null)
returns jsonb
language plpgsql as $$
declare
  v_job inbox_jobs;
  v_count integer := jsonb_array_length(p_files);
begin
  insert into inbox_jobs (id, tenant_id, total_files, total_documents, max_attempts, categories,
                          idempotency_key, idempotency_fingerprint)
  values (p_id, p_tenant, v_count, v_count, p_max_attempts,
          case when p_categories is null or jsonb_typeof(p_categories) = 'null' then null
               else array(select jsonb_array_elements_text(p_categories)) end,
          p_idempotency_key, p_fingerprint)
  on conflict (tenant_id, idempotency_key) do nothing
  returning * into v_job;
  if not found then
    select * into v_job from inbox_jobs where tenant_id = p_tenant and idempotency_key = p_idempotency_key;
    return jsonb_build_object('created', false,
      'conflict', v_job.idempotency_fingerprint is distinct from p_fingerprint, 'job', inbox_job_json(v_job));
  end if;
  insert into inbox_job_files (job_id, position, filename, content_type, size, sha256, blob_key)
  select p_id, (f.n - 1)::integer, f.v->>'filename', f.v->>'contentType', (f.v->>'size')::integer,
         f.v->>'sha256', f.v->>'blobKey'
  from jsonb_array_elements(p_files) with ordinality as f (v, n);
  insert into inbox_job_documents (job_id, doc_index, file_position)
  select p_id, g, g from generate_series(0, v_count - 1) g;
  insert into inbox_job_events (tenant_id, job_id, type, payload)
  values (p_tenant, p_id, 'job.created', jsonb_build_object('files', v_count));
  -- One notification per transaction wakes idle workers; polling stays the fallback.
  perform pg_notify('inbox_jobs', p_id::text);
  return jsonb_build_object('created', true, 'conflict', false, 'job', inbox_job_json(v_job));
end $$;

-- A job with its files, documents and timeline; null when the tenant has no such job.
create or replace function inbox_get_job(p_tenant text, p_id uuid)
returns jsonb
language sql stable as $$
  select inbox_job_json(j) || jsonb_build_object(
    'files', coalesce((select jsonb_agg(jsonb_build_object(
        'position', f.position, 'filename', f.filename, 'content_type', f.content_type, 'size', f.size,
        'sha256', f.sha256, 'page_count', f.page_count, 'blob_key', f.blob_key) order by f.position)
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

-- A tenant's jobs, newest first, optionally by status, after a (created_at, id) cursor. Each
-- carries 'cursor_ts' (created_at as text, with PostgreSQL's microseconds) for the next page.
create or replace function inbox_list_jobs(
  p_tenant text, p_limit integer, p_status text default null,
  p_before_created_at timestamptz default null, p_before_id uuid default null)
returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(x.doc order by x.created_at desc, x.id desc), '[]'::jsonb)
  from (
    select inbox_job_json(j) || jsonb_build_object('cursor_ts', j.created_at::text) as doc, j.created_at, j.id
    from inbox_jobs j
    where j.tenant_id = p_tenant
      and (p_status is null or j.status = p_status)
      and (p_before_id is null or (j.created_at, j.id) < (p_before_created_at, p_before_id))
    order by j.created_at desc, j.id desc
    limit p_limit
  ) x
$$;

-- One document's text (its pages, joined), for corrections; null when there is no such document.
create or replace function inbox_get_document(p_tenant text, p_job uuid, p_index integer)
returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'job_id', d.job_id, 'index', d.doc_index, 'filename', f.filename, 'status', d.status, 'label', d.label,
    'text', (select case when count(*) = 1 then min(p.text) else string_agg(
                   '--- page ' || p.page_number || E' ---\n' || p.text, E'\n\n' order by p.page_number) end
             from inbox_pages p
             where p.job_id = d.job_id and p.file_position = d.file_position
               and p.page_number >= d.page_from and (d.page_to is null or p.page_number <= d.page_to)))
  from inbox_job_documents d
  join inbox_jobs j on j.id = d.job_id and j.tenant_id = p_tenant
  join inbox_job_files f on f.job_id = d.job_id and f.position = d.file_position
  where d.job_id = p_job and d.doc_index = p_index
$$;

-- Cancel a pending or processing job; a finished job is left as it is. Answers the job as it is
-- after the call, or null when the tenant has no such job. The worker holding it hears of it at
-- once (NOTIFY inbox_job_cancelled), not at its next heartbeat.
create or replace function inbox_cancel_job(p_tenant text, p_id uuid)
returns jsonb
language plpgsql as $$
declare
  v_job inbox_jobs;
begin
  update inbox_jobs set status = 'cancelled', locked_by = null, locked_until = null,
    completed_at = now(), updated_at = now()
  where id = p_id and tenant_id = p_tenant and status in ('pending', 'processing')
  returning * into v_job;
  if found then
    perform inbox_end_unfinished_documents(p_id, 'skipped', 'job_cancelled', 'the job was cancelled');
    insert into inbox_job_events (tenant_id, job_id, type) values (p_tenant, p_id, 'job.cancelled');
    perform pg_notify('inbox_job_cancelled', p_id::text);
    return inbox_job_json(v_job);
  end if;
  select * into v_job from inbox_jobs where id = p_id and tenant_id = p_tenant;
  return case when found then inbox_job_json(v_job) end;
end $$;

-- Run a failed or cancelled job again from its first unfinished document: documents that ended
-- because the job ended go back to pending; documents that failed on their own stay failed.
-- Answers {retried, job}; null when the tenant has no such job.
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

-- Delete a job with its files, documents, pages and events. Answers the blob keys its files had
-- (the caller deletes the bytes; the orphan sweep is the backstop), or null when there is no such
-- job. A worker holding it is told, as for a cancel.
create or replace function inbox_delete_job(p_tenant text, p_id uuid)
returns jsonb
language plpgsql as $$
declare
  v_keys jsonb;
begin
  perform 1 from inbox_jobs where id = p_id and tenant_id = p_tenant for update;
  if not found then return null; end if;
  select coalesce(jsonb_agg(blob_key) filter (where blob_key is not null), '[]'::jsonb) into v_keys
  from inbox_job_files where job_id = p_id;
  delete from inbox_job_events where job_id = p_id;
  delete from inbox_jobs where id = p_id;
  perform pg_notify('inbox_job_cancelled', p_id::text);
  return v_keys;
end $$;

-- The queue ------------------------------------------------------------------------------------------

-- Claim: up to p_limit runnable jobs, oldest first, skipping rows other workers hold, under a
-- lease. A pending job's claim counts an attempt. A processing job whose lease ran out (its worker
-- died) is taken over as a crash, not an attempt; after 5 crashes it fails, so a document that
-- kills every worker still ends. Answers the jobs with their unfinished documents.
create or replace function inbox_claim_jobs(p_worker text, p_limit integer, p_lease_seconds integer)
returns jsonb
language plpgsql as $$
declare
  v_max_crashes constant integer := 5;
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

  with picked as (
    select j.id, j.status as was, j.locked_by as previous_worker from inbox_jobs j
    where (j.status = 'pending' and j.run_at <= now())
       or (j.status = 'processing' and j.locked_until < now())
    order by j.run_at, j.created_at
    limit p_limit
    for update skip locked
  ), claimed as (
    update inbox_jobs j set
      status = 'processing',
      attempts = j.attempts + case when p.was = 'pending' then 1 else 0 end,
      claim_counted_attempt = p.was = 'pending',
      crashes = j.crashes + case when p.was = 'processing' then 1 else 0 end,
      locked_by = p_worker,
      locked_until = now() + make_interval(secs => p_lease_seconds),
      started_at = coalesce(j.started_at, now()),
      updated_at = now()
    from picked p where j.id = p.id
    returning j.id, j.tenant_id, j.attempts, j.crashes, j.max_attempts, j.categories, j.run_at, j.created_at,
              p.was, p.previous_worker
  ), logged as (
    insert into inbox_job_events (tenant_id, job_id, type, payload)
    select c.tenant_id, c.id, e.type, e.payload
    from claimed c
    cross join lateral (
      select 'job.lease_expired' as type,
             jsonb_build_object('worker', c.previous_worker, 'crashes', c.crashes) as payload, 1 as ord
      where c.was = 'processing'
      union all
      select 'job.started', jsonb_build_object('attempt', c.attempts, 'worker', p_worker), 2
    ) e
    order by c.run_at, c.created_at, e.ord
  )
  select coalesce(jsonb_agg(jsonb_build_object(
      'id', c.id, 'tenant_id', c.tenant_id, 'attempts', c.attempts, 'crashes', c.crashes,
      'max_attempts', c.max_attempts, 'categories', to_jsonb(c.categories),
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
language sql as $$
  with renewed as (
    update inbox_jobs set locked_until = now() + make_interval(secs => p_lease_seconds), updated_at = now()
    where id in (select (x)::uuid from jsonb_array_elements_text(p_ids) x)
      and status = 'processing' and locked_by = p_worker
    returning id
  )
  select coalesce(jsonb_agg(id), '[]'::jsonb) from renewed
$$;

-- Records document outcomes in one call (the worker batches them). Each element:
-- {jobId, index, status: 'completed'|'failed', result?, error?, filePosition?, pageCount?,
--  pages?: [{number, text, source, confidence}]}. The jobs are locked first, so an outcome loses
-- to a cancel that committed first and one from a worker whose lease was taken over is ignored; a
-- document already done is never written twice. A job whose documents are all done is completed
-- in the same call. Answers the ids of the jobs this call completed.
create or replace function inbox_record_outcomes(p_worker text, p_outcomes jsonb)
returns jsonb
language plpgsql as $$
declare
  v_completed jsonb;
begin
  with input as (
    select (o->>'jobId')::uuid as job_id, (o->>'index')::integer as doc_index, o->>'status' as status,
           o->'result' as result, o->'error' as error, (o->>'filePosition')::integer as file_position,
           (o->>'pageCount')::integer as page_count, coalesce(o->'pages', '[]'::jsonb) as pages
    from jsonb_array_elements(p_outcomes) o
  ), held as (
    select j.id, j.tenant_id from inbox_jobs j
    where j.id in (select job_id from input) and j.status = 'processing' and j.locked_by = p_worker
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

-- A job-level failure (the pipeline itself broke, e.g. a provider was down for every retry). With
-- attempts left: back to pending, run_at pushed out by exponential backoff with jitter. None left:
-- failed, with the error kept and its unfinished documents ended. Answers the new status, or null
-- when this worker does not hold the job.
create or replace function inbox_fail_job(p_worker text, p_id uuid, p_error text)
returns text
language plpgsql as $$
declare
  v_job inbox_jobs;
begin
  update inbox_jobs set
    status = case when attempts < max_attempts then 'pending' else 'failed' end,
    run_at = case when attempts < max_attempts
      then now() + make_interval(secs => least(3600, power(2, attempts) * (0.75 + random() * 0.5)))
      else run_at end,
    completed_at = case when attempts < max_attempts then null else now() end,
    error = p_error, locked_by = null, locked_until = null, updated_at = now()
  where id = p_id and status = 'processing' and locked_by = p_worker
  returning * into v_job;
  if not found then return null; end if;
  if v_job.status = 'failed' then
    perform inbox_end_unfinished_documents(p_id, 'failed', 'job_failed', p_error);
    insert into inbox_job_events (tenant_id, job_id, type, payload)
    values (v_job.tenant_id, p_id, 'job.failed', jsonb_build_object('error', p_error, 'attempts', v_job.attempts));
  else
    insert into inbox_job_events (tenant_id, job_id, type, payload)
    values (v_job.tenant_id, p_id, 'job.retry_scheduled',
            jsonb_build_object('error', p_error, 'attempt', v_job.attempts, 'run_at', v_job.run_at));
  end if;
  return v_job.status;
end $$;

-- Hands held jobs back at once without spending an attempt (graceful shutdown, or the database
-- went away mid-job: neither is the job's fault). Other workers hear of them at once.
create or replace function inbox_release_jobs(p_worker text, p_ids jsonb)
returns void
language plpgsql as $$
begin
  with released as (
    update inbox_jobs set status = 'pending',
      attempts = greatest(attempts - case when claim_counted_attempt then 1 else 0 end, 0),
      run_at = now(), locked_by = null, locked_until = null, updated_at = now()
    where id in (select (x)::uuid from jsonb_array_elements_text(p_ids) x)
      and status = 'processing' and locked_by = p_worker
    returning id, tenant_id
  )
  insert into inbox_job_events (tenant_id, job_id, type, payload)
  select tenant_id, id, 'job.released', jsonb_build_object('worker', p_worker) from released;
  if found then perform pg_notify('inbox_jobs', 'released'); end if;
end $$;

-- Corrections ---------------------------------------------------------------------------------------

-- Records the right label of one document with a snapshot of its text; a second call for the
-- same document replaces the first.
create or replace function inbox_record_correction(
  p_tenant text, p_job uuid, p_index integer, p_filename text, p_label text, p_predicted_label text, p_text text)
returns jsonb
language sql as $$
  insert into inbox_document_corrections (tenant_id, job_id, doc_index, filename, label, predicted_label, text)
  values (p_tenant, p_job, p_index, p_filename, p_label, p_predicted_label, p_text)
  on conflict (job_id, doc_index) do update set
    filename = excluded.filename, label = excluded.label, predicted_label = excluded.predicted_label,
    text = excluded.text, updated_at = clock_timestamp()
  returning jsonb_build_object('job_id', job_id, 'index', doc_index, 'filename', filename, 'label', label,
    'predicted_label', predicted_label, 'text', text, 'created_at', created_at, 'updated_at', updated_at)
$$;

-- A tenant's corrections, the most recently recorded first.
create or replace function inbox_list_corrections(p_tenant text, p_limit integer)
returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(x.doc order by x.updated_at desc, x.id desc), '[]'::jsonb)
  from (
    select jsonb_build_object('job_id', c.job_id, 'index', c.doc_index, 'filename', c.filename, 'label', c.label,
      'predicted_label', c.predicted_label, 'text', c.text, 'created_at', c.created_at,
      'updated_at', c.updated_at) as doc, c.updated_at, c.id
    from inbox_document_corrections c
    where c.tenant_id = p_tenant
    order by c.updated_at desc, c.id desc
    limit p_limit
  ) x
$$;

-- Changes whenever one of the tenant's corrections is recorded or replaced.
create or replace function inbox_corrections_revision(p_tenant text)
returns text
language sql stable as $$
  select count(*)::text || '@' || coalesce(max(updated_at)::text, '-')
  from inbox_document_corrections where tenant_id = p_tenant
$$;

-- Readiness: the database answers and this schema is in place.
create or replace function inbox_ping()
returns text
language sql stable as $$ select 'ok'::text $$;
