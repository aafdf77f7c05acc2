import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

/** The repository: two up from here in test/support, three from dist-bench/test/support (benchmarks). */
export const ROOT = existsSync(join(__dirname, '..', '..', 'package.json'))
  ? join(__dirname, '..', '..')
  : join(__dirname, '..', '..', '..');
export const ENTRYPOINTS = {
  server: join(ROOT, 'dist', 'main.js'),
  worker: join(ROOT, 'dist', 'worker.js'),
  migrate: join(ROOT, 'dist', 'migrate.js'),
};

/**
 * The V8 flags the server is started with (package.json's start scripts and docker/entrypoint.sh
 * say the same; test/e2e/server-footprint.e2e.spec.ts checks they do). A young generation of at
 * most 8 MB keeps V8 from starting a full incremental mark after nearly every scavenge: with the
 * default (up to 32 MB) the old generation's slack was always "less than the young generation",
 * so a major GC ran every 200 ms and the one-client p99 was 29 ms against a p50 of 5 (README,
 * Benchmarks). Benchmarks and tests start the server as production does.
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=8'];

/** The node arguments that start an entrypoint as production does. */
export function entrypointArgs(which: keyof typeof ENTRYPOINTS): string[] {
  return which === 'server' ? [...SERVER_NODE_FLAGS, ENTRYPOINTS.server] : [ENTRYPOINTS[which]];
}

export function assertBuilt(): void {
  for (const file of Object.values(ENTRYPOINTS)) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build (npm test does)`);
  }
}

export interface LogLine {
  level: number;
  msg: string;
  context?: string;
  role?: string;
}

export interface EntrypointProcess {
  proc: ChildProcess;
  /** stdout's pino JSON lines, parsed as they arrive. */
  lines: LogLine[];
  /** stdout's lines that are not JSON (there should be none). */
  otherStdout: string[];
  stderr(): string;
  /** Exit code, or the signal's name. */
  exited: Promise<number | string | null>;
  /** Resolves once a log line matches, rejects after timeoutMs or when the process exits first. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<LogLine>;
}

/**
 * `node dist/<entrypoint>.js` (with the server's flags) with only PATH and env, its output
 * collected; nodeArgs go before the script.
 */
export function spawnEntrypoint(
  which: keyof typeof ENTRYPOINTS,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): EntrypointProcess {
  const proc = spawn(process.execPath, [...nodeArgs, ...entrypointArgs(which)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const otherStdout: string[] = [];
  let stderr = '';
  let partial = '';
  let exitedYet = false;
  const waiters = new Set<() => void>();
  proc.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) {
      if (part.trim() === '') continue;
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        otherStdout.push(part);
      }
    }
    for (const w of waiters) w();
  });
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) =>
    proc.once('exit', (code, signal) => {
      exitedYet = true;
      for (const w of waiters) w();
      resolve(code ?? signal);
    }),
  );
  return {
    proc,
    lines,
    otherStdout,
    stderr: () => stderr,
    exited,
    waitForLine(pattern, timeoutMs = 60_000) {
      return new Promise<LogLine>((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l) => pattern.test(l.msg));
          if (hit) done(() => resolve(hit));
          else if (exitedYet) done(() => reject(new Error(`exited before a line matched ${pattern}: ${stderr}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no line matched ${pattern} in ${timeoutMs} ms`))),
          timeoutMs,
        );
        const done = (then: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          then();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** A port nothing listens on right now (the OS gave it and it was closed again). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP proxy on 127.0.0.1:port to target: "the database comes up" without restarting PostgreSQL. */
export async function startTcpProxy(port: number, target: { host: string; port: number }): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const close = server.close.bind(server);
  // Closing the proxy drops its connections too, so a test's afterAll never hangs on them.
  server.close = (cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}
