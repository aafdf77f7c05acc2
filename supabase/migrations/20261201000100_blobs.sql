-- Doc Inbox: file bytes in the database (BLOB_STORE=database), and the orphan sweep's question.
-- Plain SQL for PostgreSQL 15+, Supabase and PGlite. Every read and write the database blob
-- store makes is one of these functions.
--
-- A put streams its body in chunks of about 1 MiB under a fresh upload id (each chunk its own
-- statement, so no transaction or connection is held while a client uploads), then
-- inbox_blob_commit points the key at that upload and drops the chunks of the blob it
-- replaces, atomically: a reader sees the old blob or the new one, never half of either, and an
-- aborted put leaves only staged chunks, which inbox_blob_discard_upload (or, after a crash,
-- inbox_blob_discard_stale_uploads) removes.

create table if not exists inbox_blobs (
  key           text primary key,
  upload_id     uuid not null unique,
  size          bigint not null check (size >= 0),
  sha256        text not null,
  content_type  text,
  chunk_count   integer not null check (chunk_count >= 0),
  written_at    timestamptz not null default now()
);
create index if not exists inbox_blobs_written_at_idx on inbox_blobs (written_at);

-- Puts in progress: what a crash leaves behind is found here, not by scanning the chunks.
create table if not exists inbox_blob_uploads (
  upload_id   uuid primary key,
  started_at  timestamptz not null default now()
);
create index if not exists inbox_blob_uploads_started_at_idx on inbox_blob_uploads (started_at);

create table if not exists inbox_blob_chunks (
  upload_id  uuid not null,
  seq        integer not null check (seq >= 0),
  bytes      bytea not null,
  primary key (upload_id, seq)
);
-- Documents are mostly compressed already: store chunks out of line without pglz.
alter table inbox_blob_chunks alter column bytes set storage external;

create or replace function inbox_blob_begin_upload(p_upload uuid)
returns void
language sql as $$
  insert into inbox_blob_uploads (upload_id) values (p_upload)
$$;

create or replace function inbox_blob_put_chunk(p_upload uuid, p_seq integer, p_bytes bytea)
returns void
language sql as $$
  insert into inbox_blob_chunks (upload_id, seq, bytes) values (p_upload, p_seq, p_bytes)
$$;

-- Makes the staged upload the blob under p_key (replacing any older one, whose chunks go).
create or replace function inbox_blob_commit(
  p_upload uuid, p_key text, p_size bigint, p_sha256 text, p_content_type text, p_chunk_count integer)
returns void
language plpgsql as $$
declare
  v_old uuid;
begin
  -- Two puts of one key committing at once take turns, so neither's old chunks are missed.
  perform pg_advisory_xact_lock(hashtext('inbox_blobs'), hashtext(p_key));
  delete from inbox_blob_uploads where upload_id = p_upload;
  select upload_id into v_old from inbox_blobs where key = p_key for update;
  insert into inbox_blobs (key, upload_id, size, sha256, content_type, chunk_count, written_at)
  values (p_key, p_upload, p_size, p_sha256, p_content_type, p_chunk_count, now())
  on conflict (key) do update set upload_id = excluded.upload_id, size = excluded.size,
    sha256 = excluded.sha256, content_type = excluded.content_type,
    chunk_count = excluded.chunk_count, written_at = excluded.written_at;
  if v_old is not null and v_old <> p_upload then
    delete from inbox_blob_chunks where upload_id = v_old;
  end if;
end $$;

-- An aborted or failed put: its staged chunks go.
create or replace function inbox_blob_discard_upload(p_upload uuid)
returns void
language sql as $$
  delete from inbox_blob_chunks where upload_id = p_upload;
  delete from inbox_blob_uploads where upload_id = p_upload
$$;

-- Puts a killed process never finished (started before p_before); returns how many went.
create or replace function inbox_blob_discard_stale_uploads(p_before timestamptz)
returns integer
language sql as $$
  with stale as (
    delete from inbox_blob_uploads where started_at < p_before returning upload_id
  ), chunks as (
    delete from inbox_blob_chunks c using stale s where c.upload_id = s.upload_id returning 1
  )
  select count(*)::integer from stale
$$;

-- What get needs first: the upload whose chunks to read, and how many there are (null: no blob).
create or replace function inbox_blob_stat(p_key text)
returns jsonb
language sql stable as $$
  select jsonb_build_object('upload_id', b.upload_id, 'size', b.size, 'sha256', b.sha256, 'chunk_count', b.chunk_count)
  from inbox_blobs b where b.key = p_key
$$;

create or replace function inbox_blob_read_chunk(p_upload uuid, p_seq integer)
returns bytea
language sql stable as $$
  select c.bytes from inbox_blob_chunks c where c.upload_id = p_upload and c.seq = p_seq
$$;

create or replace function inbox_blob_exists(p_key text)
returns boolean
language sql stable as $$
  select exists (select 1 from inbox_blobs where key = p_key)
$$;

-- Deletes these blobs (a jsonb array of keys) and their chunks; missing keys are not an error.
create or replace function inbox_blob_delete(p_keys jsonb)
returns void
language sql as $$
  with gone as (
    delete from inbox_blobs where key in (select jsonb_array_elements_text(p_keys)) returning upload_id
  )
  delete from inbox_blob_chunks c using gone g where c.upload_id = g.upload_id
$$;

-- One page of blobs under p_prefix written before p_before, in key order after p_after:
-- a jsonb array of {key, written_at}.
create or replace function inbox_blob_list(p_prefix text, p_before timestamptz, p_after text, p_limit integer)
returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(jsonb_build_object('key', x.key, 'written_at', x.written_at) order by x.key), '[]'::jsonb)
  from (
    select b.key, b.written_at from inbox_blobs b
    where starts_with(b.key, p_prefix) and b.written_at < p_before and (p_after is null or b.key > p_after)
    order by b.key
    limit p_limit
  ) x
$$;

-- The orphan sweep: which of these blob keys no file row references. inbox_job_files.blob_key
-- is added here too (idempotently) so this migration stands on its own.
alter table inbox_job_files add column if not exists blob_key text;
create index if not exists inbox_job_files_blob_key_idx on inbox_job_files (blob_key);

create or replace function inbox_unreferenced_blob_keys(p_keys jsonb)
returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(distinct k), '[]'::jsonb) from jsonb_array_elements_text(p_keys) as k
  where not exists (select 1 from inbox_job_files f where f.blob_key = k)
$$;
