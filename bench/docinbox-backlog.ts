/**
 * `count` one-file jobs queued ahead in one transaction (a multi-statement query), each as
 * inbox_create_job leaves a job: the job, its file, its document and its `job.created` event.
 */
export function docInboxBacklogSql(count: number): string {
  return `
    insert into inbox_jobs (id, total_files, total_documents)
      select gen_random_uuid(), 1, 1 from generate_series(1, ${count});
    insert into inbox_job_files (job_id, position, filename, content_type, size, sha256, blob_key)
      select id, 0, 'noop.txt', 'text/plain', 4, '', 'default/' || id || '/0' from inbox_jobs where status = 'pending';
    insert into inbox_job_documents (job_id, doc_index, file_position)
      select id, 0, 0 from inbox_jobs where status = 'pending';
    insert into inbox_job_events (tenant_id, job_id, type, payload)
      select tenant_id, id, 'job.created', '{"files":1}' from inbox_jobs where status = 'pending';
    notify inbox_jobs;`;
}
