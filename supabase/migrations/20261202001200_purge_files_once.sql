-- Two purgers side by side could purge the same job's files twice (counted twice, and a second
-- job.files_purged event): the job pick tests "still holds files" on the statement's snapshot,
-- and a job whose lock was released by the other purger's commit is then locked without that test
-- being made again (only the job row is re-checked, and the other purger did not change it).
-- The files are now marked by one UPDATE, whose snapshot is taken after the job locks are held,
-- and only the jobs it changed count, lose their page text and get the event.
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
  with purged as (
    update inbox_job_files f set purged_at = now(), blob_key = null
    from (select job_id, position, blob_key as old_key from inbox_job_files
          where job_id = any (v_jobs) and purged_at is null) old
    where f.job_id = old.job_id and f.position = old.position and f.purged_at is null
    returning f.job_id, old.old_key
  )
  select coalesce(array_agg(distinct job_id), '{}'),
         coalesce(jsonb_agg(old_key) filter (where old_key is not null), '[]'::jsonb),
         count(*)
  into v_jobs, v_keys, v_files
  from purged;
  delete from inbox_pages where job_id = any (v_jobs);
  insert into inbox_job_events (tenant_id, job_id, type, payload)
  select j.tenant_id, j.id, 'job.files_purged', jsonb_build_object('retention_days', p_days)
  from inbox_jobs j where j.id = any (v_jobs);
  return jsonb_build_object('jobs', cardinality(v_jobs), 'files', v_files, 'blob_keys', v_keys);
end $$;

select inbox_secure_objects(current_schema());
notify pgrst, 'reload schema';
