-- Fewer writes per job for the queue's hot path (issue 12). A profile of `npm run bench:queue`
-- put a third of PostgreSQL's time in index inserts: 21 per no-op job. Same rows, same answers.
-- (A lower fillfactor on documents and files, for HOT updates, made 45% of document updates HOT
-- but measured no less CPU a job: not done.)
--
-- 1. The event log keeps one index: its primary key becomes (job_id, id), which serves every read
--    (all are by job, in id order) and replaces the separate (job_id, id) index. Ids stay unique:
--    they come from the identity.
alter table inbox_job_events drop constraint if exists inbox_job_events_pkey;
drop index if exists inbox_job_events_job_idx;
alter table inbox_job_events add constraint inbox_job_events_pkey primary key (job_id, id);

-- 2. Idempotency keys are rare: the unique index holds only the jobs that have one, instead of an
--    entry for every job and every version of its row.
drop index if exists inbox_jobs_idempotency_idx;
create unique index inbox_jobs_idempotency_idx on inbox_jobs (tenant_id, idempotency_key)
  where idempotency_key is not null;

-- Create, as in 20261202000200_webhooks.sql; its conflict target names the partial index.
create or replace function inbox_create_job(
  p_tenant text, p_id uuid, p_files jsonb, p_categories jsonb, p_max_attempts integer,
  p_idempotency_key text default null, p_fingerprint text default null, p_callback_url text default null)
returns jsonb
language plpgsql as $$
declare
  v_job inbox_jobs;
  v_count integer := jsonb_array_length(p_files);
begin
  insert into inbox_jobs (id, tenant_id, total_files, total_documents, max_attempts, categories,
                          idempotency_key, idempotency_fingerprint, callback_url)
  values (p_id, p_tenant, v_count, v_count, p_max_attempts,
          case when p_categories is null or jsonb_typeof(p_categories) = 'null' then null
               else array(select jsonb_array_elements_text(p_categories)) end,
          p_idempotency_key, p_fingerprint, p_callback_url)
  on conflict (tenant_id, idempotency_key) where idempotency_key is not null do nothing
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

select inbox_secure_objects(current_schema());
notify pgrst, 'reload schema';
