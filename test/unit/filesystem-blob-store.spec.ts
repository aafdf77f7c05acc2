import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FilesystemBlobStore } from '../../src/storage/filesystem.blob-store';

// The module object the store's `open` comes from (an `import * as` copy could not be spied on).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fsPromises = require('node:fs/promises') as typeof import('node:fs/promises');

describe('FilesystemBlobStore durability', () => {
  let root: string;
  let synced: string[];

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'doc-inbox-fs-blobs-'));
    synced = [];
    const open = fsPromises.open;
    jest.spyOn(fsPromises, 'open').mockImplementation(async (...args: Parameters<typeof open>) => {
      const handle = await open(...args);
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        synced.push(String(args[0]));
        return sync();
      };
      return handle;
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(root, { recursive: true, force: true });
  });

  it('syncs the directory of a new file, and the parent of every directory it had to make', async () => {
    const store = new FilesystemBlobStore(root);
    await store.put('acme/job-1/0', Readable.from([Buffer.from('one')]));
    // The file (its temp name), its directory, and the entries of the two directories made.
    expect(synced.slice(-3)).toEqual([join(root, 'acme', 'job-1'), join(root, 'acme'), root]);

    synced = [];
    await store.put('acme/job-1/1', Readable.from([Buffer.from('two')]));
    // Nothing made this time: only the directory the file was renamed into.
    expect(synced.filter((p) => !p.includes('.tmp'))).toEqual([join(root, 'acme', 'job-1')]);

    synced = [];
    await store.put('acme/job-2/0', Readable.from([Buffer.from('three')]));
    expect(synced.filter((p) => !p.includes('.tmp'))).toEqual([join(root, 'acme', 'job-2'), join(root, 'acme')]);
    expect(await (await store.read('acme/job-2/0')).toString()).toBe('three');
  });
});
