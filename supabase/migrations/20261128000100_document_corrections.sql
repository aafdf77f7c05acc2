-- Doc Inbox: corrections, the right label of a classified document as recorded by a user.
-- They train the local classifier and give the OpenAI prompt its few-shot examples. The text is
-- a snapshot, so a correction stays useful as training data after its job is deleted: the
-- reference to the file is then cleared (on delete set null), not the correction.
-- Plain SQL that runs unchanged on PostgreSQL, Supabase and PGlite.

create table if not exists inbox_document_corrections (
  id               bigint generated always as identity primary key,
  job_id           uuid,
  position         integer,
  filename         text not null,
  label            text not null check (label ~ '^[a-z][a-z0-9_]{0,62}$'),
  predicted_label  text,
  text             text not null,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  -- One correction per document; recording again replaces it (upsert on this key).
  unique (job_id, position),
  foreign key (job_id, position) references inbox_job_files (job_id, position) on delete set null
);

-- Training and few-shot examples read the most recent first; the revision check reads max().
create index if not exists inbox_document_corrections_recent_idx
  on inbox_document_corrections (updated_at desc, id desc);
