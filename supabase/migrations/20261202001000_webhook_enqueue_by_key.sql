-- The webhook trigger (20261202000200_webhooks.sql) joined the statement's new events to
-- inbox_jobs with no statistics for the transition table, so PostgreSQL chose a hash join over a
-- sequential scan of the whole job table: every outcome call that completed a job read every job
-- (7 ms of an 11 ms call with 20,000 jobs queued; linear in the table). The terminal events' job
-- ids are gathered first and the jobs read by primary key; a statement with no terminal event
-- (a claim, a document's outcome) stops at the first query.
create or replace function inbox_webhook_enqueue()
returns trigger
language plpgsql as $$
declare
  v_jobs uuid[];
begin
  select array_agg(distinct e.job_id) into v_jobs
  from inserted e where e.type in ('job.completed', 'job.failed', 'job.cancelled');
  if v_jobs is null then
    return null;
  end if;
  insert into inbox_webhook_deliveries (tenant_id, job_id, event_id, event_type, event_at, url)
  select e.tenant_id, e.job_id, e.id, e.type, e.created_at, w.url
  from (select j.id, coalesce(j.callback_url, t.callback_url) as url
        from inbox_jobs j
        left join inbox_tenants t on t.tenant_id = j.tenant_id
        where j.id = any(v_jobs)) w
  join inserted e on e.job_id = w.id and e.type in ('job.completed', 'job.failed', 'job.cancelled')
  where w.url is not null
  on conflict do nothing;
  if found then
    perform pg_notify('inbox_webhooks', '');
  end if;
  return null;
end $$;

select inbox_secure_objects(current_schema());
notify pgrst, 'reload schema';
