-- The bytes of files uploaded by the first release move out of inbox_job_files into the database
-- blob store (BLOB_STORE=database, the default), under the keys new uploads get
-- (`tenant/job/position`), so jobs created before the upgrade resume and finish after it. Then
-- the column goes: file bytes never pass through the job rows again.
with source as (
  select f.job_id, f.position, j.tenant_id || '/' || f.job_id::text || '/' || f.position::text as key,
         f.bytes, f.sha256, f.content_type, gen_random_uuid() as upload_id
  from inbox_job_files f
  join inbox_jobs j on j.id = f.job_id
  where f.bytes is not null and f.blob_key is null
), chunks as (
  insert into inbox_blob_chunks (upload_id, seq, bytes)
  select upload_id, 0, bytes from source
), blobs as (
  insert into inbox_blobs (key, upload_id, size, sha256, content_type, chunk_count)
  select key, upload_id, length(bytes), sha256, content_type, 1 from source
  on conflict (key) do nothing
)
update inbox_job_files f set blob_key = s.key
from source s
where f.job_id = s.job_id and f.position = s.position;

alter table inbox_job_files drop column if exists bytes;
