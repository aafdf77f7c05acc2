import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { SupabaseProject } from '../config/app-config';

/**
 * A supabase-js client for the server side: the service role key, no session kept or refreshed
 * (there is no signed-in user). With `boundRequests` every request is bounded by
 * SUPABASE_REQUEST_TIMEOUT_MS, so a project that stops answering cannot hang a claim; Storage's
 * client goes without, since a bound on the whole request would also cut a long upload's body.
 */
export function createSupabaseClient(
  project: SupabaseProject,
  options: { boundRequests: boolean } = { boundRequests: true },
): SupabaseClient {
  const timeoutMs = project.requestTimeoutMs;
  const fetchWithTimeout: typeof fetch = (input, init = {}) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return fetch(input, { ...init, signal });
  };
  return createClient(project.url, project.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: {
      ...(options.boundRequests ? { fetch: fetchWithTimeout } : {}),
      headers: { 'X-Client-Info': 'doc-inbox' },
    },
  });
}
