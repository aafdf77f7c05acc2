-- Webhooks (issue 11): a job's end (completed, failed, cancelled) is POSTed to its callback_url, or
-- else to its tenant's default, signed as Standard Webhooks does. Deliveries come from the event
-- log: a trigger on inbox_job_events makes one delivery row per terminal event in the very
-- transaction that writes the event, so no end is lost when a worker dies. Workers claim due
-- deliveries under a lease (SKIP LOCKED), record every attempt, and retry with exponential backoff
-- for up to a day; a receiver that answers 410 Gone stops them.

alter table inbox_jobs add column if not exists callback_url text;

-- One row per (job, terminal event). Its id is the webhook-id header: stable across retries, so
-- receivers dedupe on it.
create table if not exists inbox_webhook_deliveries (
  id               uuid primary key default gen_random_uuid(),
  tenant_id        text not null,
  job_id           uuid not null references inbox_jobs (id) on delete cascade,
  event_id         bigint not null,
  event_type       text not null check (event_type in ('job.completed', 'job.failed', 'job.cancelled')),
  event_at         timestamptz not null,
  url              text not null,
  status           text not null default 'pending'
                   check (status in ('pending', 'delivering', 'delivered', 'failed', 'gone')),
  attempts         integer not null default 0,
  next_attempt_at  timestamptz not null default now(),
  locked_by        text,
  locked_until     timestamptz,
  -- The signed body, fixed by the first attempt so every retry sends the same bytes.
  body             text,
  last_status_code integer,
  last_error       text,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  finished_at      timestamptz,
  unique (job_id, event_id)
);
-- The claim's two paths, as for jobs: due ones by time, and held ones by lease.
create index if not exists inbox_webhook_deliveries_due_idx
  on inbox_webhook_deliveries (next_attempt_at) where status = 'pending';
create index if not exists inbox_webhook_deliveries_lease_idx
  on inbox_webhook_deliveries (locked_until) where status = 'delivering';

create table if not exists inbox_webhook_attempts (
  delivery_id  uuid not null references inbox_webhook_deliveries (id) on delete cascade,
  attempt      integer not null check (attempt >= 1),
  -- null: no answer (refused address, connection error, timeout, the worker stopped)
  status_code  integer,
  error        text,
  duration_ms  integer,
  attempted_at timestamptz not null default now(),
  primary key (delivery_id, attempt)
);

-- The shape the API and the workers read.
create or replace function inbox_webhook_delivery_json(d inbox_webhook_deliveries)
returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'id', d.id, 'job_id', d.job_id, 'event_type', d.event_type, 'event_at', d.event_at, 'url', d.url,
    'status', d.status, 'attempts', d.attempts, 'next_attempt_at', case when d.status = 'pending' then d.next_attempt_at end,
    'last_status_code', d.last_status_code, 'last_error', d.last_error, 'created_at', d.created_at,
    'finished_at', d.finished_at)
$$;

-- Terminal events become deliveries in the statement that wrote them (one statement-level trigger,
-- one NOTIFY per statement that made any), to the job's callback_url or else the tenant's.
create or replace function inbox_webhook_enqueue()
returns trigger
language plpgsql as $$
begin
  insert into inbox_webhook_deliveries (tenant_id, job_id, event_id, event_type, event_at, url)
  select e.tenant_id, e.job_id, e.id, e.type, e.created_at, coalesce(j.callback_url, t.callback_url)
  from inserted e
  join inbox_jobs j on j.id = e.job_id
  left join inbox_tenants t on t.tenant_id = j.tenant_id
  where e.type in ('job.completed', 'job.failed', 'job.cancelled')
    and coalesce(j.callback_url, t.callback_url) is not null
  on conflict do nothing;
  if found then
    perform pg_notify('inbox_webhooks', '');
  end if;
  return null;
end $$;

drop trigger if exists inbox_job_events_webhooks on inbox_job_events;
create trigger inbox_job_events_webhooks
  after insert on inbox_job_events
  referencing new table as inserted
  for each statement execute function inbox_webhook_enqueue();

-- Create, as in 20261201000000_foundation_v2.sql, with the job's callback_url. The parameter list
-- grows, so the old signature goes (RPC must resolve one function).
drop function if exists inbox_create_job(text, uuid, jsonb, jsonb, integer, text, text);
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

-- Claim: up to p_limit deliveries that are due, under a lease, skipping rows another worker holds.
-- One whose lease ran out (its worker died mid-attempt) comes back, and that attempt is recorded
-- as unanswered. Each claim is an attempt: answers the delivery with its attempt number, the
-- tenant's signing secret, its fixed body (null before the first attempt) and, while there is no
-- body yet, the job as GET /job returns it (without its timeline) and the event's time.
create or replace function inbox_claim_webhooks(p_worker text, p_limit integer, p_lease_seconds integer)
returns jsonb
language plpgsql as $$
declare
  v_ids uuid[];
  v_result jsonb;
begin
  with expired as (
    select d.id from inbox_webhook_deliveries d
    where d.status = 'delivering' and d.locked_until < now()
    order by d.locked_until
    limit p_limit
    for update skip locked
  ), due as (
    select d.id from inbox_webhook_deliveries d
    where d.status = 'pending' and d.next_attempt_at <= now()
    order by d.next_attempt_at
    limit greatest(p_limit - (select count(*) from expired), 0)
    for update skip locked
  )
  select coalesce(array_agg(x.id), '{}'::uuid[]) into v_ids
  from (select id from expired union all select id from due) x;
  if cardinality(v_ids) = 0 then return '[]'::jsonb; end if;

  insert into inbox_webhook_attempts (delivery_id, attempt, error)
  select d.id, d.attempts, format('no answer recorded: the worker delivering it (%s) stopped before the lease ran out', d.locked_by)
  from inbox_webhook_deliveries d
  where d.id = any(v_ids) and d.status = 'delivering'
  on conflict do nothing;

  with claimed as (
    update inbox_webhook_deliveries d set status = 'delivering', attempts = d.attempts + 1,
      locked_by = p_worker, locked_until = now() + make_interval(secs => p_lease_seconds), updated_at = now()
    where d.id = any(v_ids)
    returning d.*
  )
  select coalesce(jsonb_agg(jsonb_build_object(
      'id', c.id, 'tenant_id', c.tenant_id, 'job_id', c.job_id, 'event_type', c.event_type,
      'event_at', c.event_at, 'url', c.url, 'attempt', c.attempts, 'body', c.body,
      'webhook_secret', t.webhook_secret,
      'job', case when c.body is null then inbox_get_job(c.tenant_id, c.job_id) - 'events' end)
      order by c.next_attempt_at), '[]'::jsonb)
  into v_result
  from claimed c
  left join inbox_tenants t on t.tenant_id = c.tenant_id;
  return v_result;
end $$;

-- Records one attempt of a delivery this worker holds (p_attempt as the claim answered it); null
-- when it no longer holds it (its lease ran out and another worker took it). A 2xx answer:
-- delivered. 410 Gone: the receiver wants no more, none are sent. Anything else (another status,
-- or none: p_status_code null with p_error): the next attempt after p_base_seconds * 2^(n-1)
-- (capped at 6 hours) with +-25% jitter, never later than p_give_up_seconds after the delivery was
-- made; at that point it is failed. The first attempt fixes the body. Answers the delivery.
create or replace function inbox_record_webhook_attempt(
  p_worker text, p_id uuid, p_attempt integer, p_status_code integer, p_error text, p_duration_ms integer,
  p_body text default null, p_base_seconds double precision default 5, p_give_up_seconds integer default 86400)
returns jsonb
language plpgsql as $$
declare
  v_row inbox_webhook_deliveries;
  v_ok boolean := coalesce(p_status_code between 200 and 299, false);
  v_gone boolean := coalesce(p_status_code = 410, false);
  v_deadline timestamptz;
begin
  select * into v_row from inbox_webhook_deliveries
  where id = p_id and status = 'delivering' and locked_by = p_worker and attempts = p_attempt
  for update;
  if not found then return null; end if;
  v_deadline := v_row.created_at + make_interval(secs => p_give_up_seconds);
  insert into inbox_webhook_attempts (delivery_id, attempt, status_code, error, duration_ms)
  values (p_id, p_attempt, p_status_code, p_error, p_duration_ms)
  on conflict do nothing;
  update inbox_webhook_deliveries set
    status = case when v_ok then 'delivered' when v_gone then 'gone'
                  when now() >= v_deadline then 'failed' else 'pending' end,
    next_attempt_at = case when v_ok or v_gone or now() >= v_deadline then next_attempt_at
      else least(v_deadline, now() + make_interval(secs =>
        least(21600, p_base_seconds * power(2, p_attempt - 1)) * (0.75 + random() * 0.5))) end,
    finished_at = case when v_ok or v_gone or now() >= v_deadline then now() end,
    body = coalesce(body, p_body),
    last_status_code = p_status_code, last_error = p_error,
    locked_by = null, locked_until = null, updated_at = now()
  where id = p_id
  returning * into v_row;
  return inbox_webhook_delivery_json(v_row);
end $$;

-- A job's deliveries, each with every attempt, oldest first; null when the tenant has no such job.
create or replace function inbox_get_job_webhooks(p_tenant text, p_job uuid)
returns jsonb
language sql stable as $$
  select coalesce((
    select jsonb_agg(inbox_webhook_delivery_json(d) || jsonb_build_object('attempt_log', coalesce((
        select jsonb_agg(jsonb_build_object(
          'attempt', a.attempt, 'status_code', a.status_code, 'error', a.error, 'duration_ms', a.duration_ms,
          'attempted_at', a.attempted_at) order by a.attempt)
        from inbox_webhook_attempts a where a.delivery_id = d.id), '[]'::jsonb))
      order by d.event_id)
    from inbox_webhook_deliveries d where d.job_id = j.id), '[]'::jsonb)
  from inbox_jobs j where j.id = p_job and j.tenant_id = p_tenant
$$;

select inbox_secure_objects(current_schema());
notify pgrst, 'reload schema';
