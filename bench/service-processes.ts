import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { entrypointArgs } from '../test/support/entrypoint-process';

/** The repository, from dist-bench/bench. */
const ROOT = resolve(__dirname, '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the built server or worker as production does (its V8 flags), logging warnings only. */
export function startService(role: 'server' | 'worker', env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, entrypointArgs(role), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Resolves once GET /health answers 200; throws after 30 s. */
export async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      /* not up yet */
    }
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}
