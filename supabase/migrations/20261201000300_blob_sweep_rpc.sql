-- The orphan sweep's question as a function every transport can call the same way (jsonb in,
-- jsonb out): over Supabase's RPC a `setof text` of a text[] argument would not match what
-- `select fn(...)` gives over a SQL session. Which of these blob keys no file row references.
create or replace function inbox_unreferenced_blobs(p_keys jsonb)
returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(distinct k.value), '[]'::jsonb)
  from jsonb_array_elements_text(p_keys) as k (value)
  where not exists (select 1 from inbox_job_files f where f.blob_key = k.value)
$$;
