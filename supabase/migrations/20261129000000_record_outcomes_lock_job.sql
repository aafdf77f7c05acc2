-- inbox_record_file_outcomes, race-free: the jobs are locked first (FOR UPDATE re-checks status
-- and lease holder against the latest row), so an outcome loses to a cancel that committed
-- first, and one from a worker whose expired lease another worker took is ignored. Counts are
-- added to the row as it is now, not as the statement's snapshot saw it.
create or replace function inbox_record_file_outcomes(p_worker text, p_outcomes jsonb)
returns setof uuid
language sql as $$
  with input as (
    select (o->>'jobId')::uuid as job_id, (o->>'position')::integer as position,
           o->>'status' as status, o->'result' as result, o->'error' as error, o->>'text' as text
    from jsonb_array_elements(p_outcomes) o
  ), held as (
    select j.id from inbox_jobs j
    where j.id in (select job_id from input) and j.status = 'processing' and j.locked_by = p_worker
    for update
  ), written as (
    update inbox_job_files f set
      status = i.status, result = i.result, error = i.error, text = i.text, completed_at = now()
    from input i
    join held h on h.id = i.job_id
    where f.job_id = i.job_id and f.position = i.position and f.status = 'pending'
    returning f.job_id, f.status
  ), delta as (
    select w.job_id, count(*)::integer as done, count(*) filter (where w.status = 'failed')::integer as failed
    from written w group by w.job_id
  ), updated as (
    update inbox_jobs j set
      processed_files = j.processed_files + d.done,
      failed_files = j.failed_files + d.failed,
      progress = (100 * (j.processed_files + d.done) / j.total_files)::smallint,
      status = case when j.processed_files + d.done = j.total_files then 'completed' else j.status end,
      completed_at = case when j.processed_files + d.done = j.total_files then now() else null end,
      locked_by = case when j.processed_files + d.done = j.total_files then null else j.locked_by end,
      locked_until = case when j.processed_files + d.done = j.total_files then null else j.locked_until end,
      error = case when j.processed_files + d.done = j.total_files then null else j.error end,
      result = case when j.processed_files + d.done = j.total_files then jsonb_build_object(
        'documents', j.total_files,
        'completed', j.processed_files + d.done - (j.failed_files + d.failed),
        'failed', j.failed_files + d.failed) else j.result end,
      updated_at = now()
    from delta d
    where j.id = d.job_id
    returning j.id, j.status
  )
  select u.id from updated u where u.status = 'completed'
$$;
