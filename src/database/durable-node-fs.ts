import { closeSync, existsSync, fsyncSync, openSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';

/**
 * PGlite on Node is not crash-durable by itself: it starts PostgreSQL with `-F` (fsync off), and
 * Emscripten's NODEFS, the layer its files go through, has no fsync, so a commit reaches the page
 * cache and nothing more (electric-sql/pglite#1107). A 202 must mean stored, through a power cut
 * too, so the embedded database gets the fsync PostgreSQL asks for: NODEFS is given one that
 * syncs the real file, and PostgreSQL starts with fsync on and `wal_sync_method=fsync` (NODEFS's
 * fdatasync is a no-op that cannot be replaced; its fsync can).
 */
export const DURABLE_START_PARAMS: readonly string[] = [
  ...PGlite.defaultStartParams.filter((param) => param !== '-F'),
  '-c',
  'wal_sync_method=fsync',
];

/** What of an Emscripten NODEFS stream the fsync needs: its host descriptor, or its node's path. */
interface NodeFsStream {
  nfd?: number;
  node: unknown;
}

interface NodeFsType {
  stream_ops?: { fsync?: (stream: NodeFsStream) => number };
  realPath?: (node: unknown) => string;
}

export type SyncDescriptor = (fd: number) => void;

/** Syncs a path: a directory (opened read-only) as well as a file. */
function syncPath(path: string, sync: SyncDescriptor): void {
  const fd = openSync(path, 'r');
  try {
    sync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Every file and directory under root, each synced, children before their directory. */
function syncTree(root: string, sync: SyncDescriptor): void {
  if (statSync(root).isDirectory()) for (const entry of readdirSync(root)) syncTree(join(root, entry), sync);
  syncPath(root, sync);
}

/**
 * PGlite's NodeFS with an fsync that reaches the disk. A data folder PGlite creates is synced
 * once, whole, after its first start: initdb writes the cluster without syncing it.
 */
export class DurableNodeFs extends NodeFS {
  private readonly isNew: boolean;

  constructor(
    dataDir: string,
    private readonly syncDescriptor: SyncDescriptor = fsyncSync,
  ) {
    super(dataDir);
    this.isNew = !existsSync(join(this.rootDir, 'PG_VERSION'));
  }

  override async init(pg: PGlite, opts: Parameters<NodeFS['init']>[1]): ReturnType<NodeFS['init']> {
    const { emscriptenOpts } = await super.init(pg, opts);
    const giveFsync = (mod: { NODEFS: unknown }): void => this.giveFsync(mod.NODEFS as NodeFsType);
    return { emscriptenOpts: { ...emscriptenOpts, preRun: [giveFsync, ...(emscriptenOpts.preRun ?? [])] } };
  }

  /** After PGlite has started: a new cluster made durable, with the folder's entry in its parent. */
  syncNewCluster(): void {
    if (!this.isNew) return;
    syncTree(this.rootDir, this.syncDescriptor);
    syncPath(dirname(this.rootDir), this.syncDescriptor);
  }

  private giveFsync(nodefs: NodeFsType): void {
    const ops = nodefs.stream_ops;
    const realPath = nodefs.realPath?.bind(nodefs);
    // Refuse to run undurable rather than silently: a PGlite whose NODEFS looks different needs a look.
    if (!ops || !realPath) throw new Error('cannot make the embedded database durable: PGlite NODEFS has changed');
    if (ops.fsync) return; // a PGlite whose NODEFS syncs by itself
    ops.fsync = (stream) => {
      if (typeof stream.nfd === 'number') this.syncDescriptor(stream.nfd);
      else syncPath(realPath(stream.node), this.syncDescriptor);
      return 0;
    };
  }
}
