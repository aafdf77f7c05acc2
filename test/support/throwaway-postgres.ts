import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './entrypoint-process';

/** The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl, if any. */
function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions[0], 'bin') : undefined;
}

const BIN = findPostgresBin();
/** initdb refuses root: as root, the cluster is run as this user. */
const RUN_AS = userInfo().uid === 0 ? 'postgres' : undefined;

function usable(): string | undefined {
  if (!BIN) return 'initdb and pg_ctl not found under /usr/lib/postgresql/<version>/bin';
  if (RUN_AS && spawnSync('id', ['-u', RUN_AS]).status !== 0)
    return `running as root and there is no '${RUN_AS}' user to run initdb as`;
  return undefined;
}

/** Why a throwaway cluster cannot be made here, or undefined when it can. */
export const throwawayPostgresUnavailable = usable();

/**
 * A PostgreSQL cluster of its own (initdb in a temp directory, pg_ctl on a free loopback port,
 * trust auth): a test may stop and start it at will, never touching the machine's shared server.
 */
export class ThrowawayPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** parent: where its directory goes (a small disk, to fill up); the system's temp dir by default. */
  static async create(options: { parent?: string } = {}): Promise<ThrowawayPostgres> {
    if (throwawayPostgresUnavailable) throw new Error(throwawayPostgresUnavailable);
    const dir = mkdtempSync(join(options.parent ?? tmpdir(), 'doc-inbox-pg-'));
    if (RUN_AS) {
      const uid = Number(execFileSync('id', ['-u', RUN_AS]).toString().trim());
      const gid = Number(execFileSync('id', ['-g', RUN_AS]).toString().trim());
      chownSync(dir, uid, gid);
    }
    const pg = new ThrowawayPostgres(dir, await freePort());
    pg.run('initdb', ['-D', pg.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    pg.start();
    return pg;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  private run(tool: 'initdb' | 'pg_ctl', args: string[]): void {
    const command = join(BIN!, tool);
    const [file, argv] = RUN_AS ? ['runuser', ['-u', RUN_AS, '--', command, ...args]] : [command, args];
    const result = spawnSync(file, argv, { encoding: 'utf8', cwd: this.dir });
    if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  }

  /** Starts the cluster and waits until it accepts connections. */
  start(): void {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
    this.run('pg_ctl', ['-D', this.dataDir, '-l', join(this.dir, 'log'), '-o', options, '-w', 'start']);
  }

  /** Stops it at once: connections are cut, as when the server crashes or fails over. */
  stop(): void {
    this.run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
  }

  /** Whether its postmaster is running (it gives up when crash recovery fails, as on a full disk). */
  isRunning(): boolean {
    const command = join(BIN!, 'pg_ctl');
    const args = ['-D', this.dataDir, 'status'];
    const [file, argv] = RUN_AS ? ['runuser', ['-u', RUN_AS, '--', command, ...args]] : [command, args];
    return spawnSync(file, argv, { cwd: this.dir }).status === 0;
  }

  /** Stops the cluster (if running) and deletes its directory. */
  destroy(): void {
    try {
      this.stop();
    } catch {
      /* already stopped */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
