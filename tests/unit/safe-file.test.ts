/**
 * base/safe-file.ts on a real folder tree: regular files are read (capped,
 * streamed from an offset, cancellable); symlinks at any level, FIFOs,
 * devices, sockets and folders are refused by name without being opened or
 * read, and no refusal carries a byte of the file behind it.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleNameParts, entryKind, listBundleFolder, openBundleFile, safeFileProblem } from '../../src-main/base/safe-file.ts';
import { readBundleFile, readBundleFileIfPresent, streamBundleFile } from '../../src-main/base/safe-read.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { failure } from '../harness/test-helpers.ts';

const SECRET = 'SECRET-HOST-CONTENT-0123456789';
const HEX = 'a'.repeat(64);
const posixOnly = process.platform === 'win32' ? it.skip : it;
const rootOnly = process.platform !== 'win32' && process.getuid?.() === 0 ? it : it.skip;

let work: string;
let bundle: string;
let host: string;
let server: Server | undefined;

/** Fails the test instead of hanging it: a refused FIFO must never block. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms (it hangs)`)), ms))]);
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-safe-file-'));
  bundle = join(work, 'bundle');
  host = join(work, 'host');
  await mkdir(join(bundle, 'blobs', 'sha256'), { recursive: true });
  await mkdir(join(host, 'sha256'), { recursive: true });
  await writeFile(join(host, 'secret.json'), `{"password":"${SECRET}"}`);
  await writeFile(join(host, 'sha256', HEX), SECRET);
  await writeFile(join(bundle, 'ferry.json'), '{"formatVersion":1}');
  await writeFile(join(bundle, 'blobs', 'sha256', HEX), Buffer.alloc(3 * 1024 * 1024 + 5, 7));
  await symlink(join(host, 'secret.json'), join(bundle, 'index.json'));
  if (process.platform !== 'win32') {
    execFileSync('mkfifo', [join(bundle, 'oci-layout')]);
    for (let i = 0; i < 6; i += 1) execFileSync('mkfifo', [join(bundle, `fifo-${i}`)]);
  }
});

afterAll(async () => {
  server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('names', () => {
  it.each([
    ['../host/secret.json', /"\.\." path component/],
    ['/etc/passwd', /absolute path/],
    ['blobs/../../host/secret.json', /"\.\." path component/],
    ['a\0b', /NUL/],
    ['blobs\\sha256', /backslash/],
    ['', /empty name/],
    ['blobs//x', /empty path component/],
    ['./ferry.json', /"\." path component/],
    ['C:/Windows', /absolute path/],
  ])('refuses %j', (name, message) => {
    let caught: unknown;
    try {
      bundleNameParts(name);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FerryError);
    expect((caught as FerryError).message).toMatch(message);
    expect(safeFileProblem(caught)).toBe('bad-name');
  });

  it('splits an allowed name', () => {
    expect(bundleNameParts(`blobs/sha256/${HEX}`)).toEqual(['blobs', 'sha256', HEX]);
  });
});

describe('regular files', () => {
  it('reads a file whole under its cap and streams a blob from an offset', async () => {
    expect((await readBundleFile(bundle, 'ferry.json', { limit: 1024 })).toString()).toBe('{"formatVersion":1}');
    const whole = await collect(streamBundleFile(bundle, `blobs/sha256/${HEX}`));
    expect(whole.length).toBe(3 * 1024 * 1024 + 5);
    const tail = await collect(streamBundleFile(bundle, `blobs/sha256/${HEX}`, { start: 3 * 1024 * 1024 }));
    expect(tail).toEqual(Buffer.alloc(5, 7));
  });

  it('streams in 1 MiB chunks', async () => {
    const sizes: number[] = [];
    for await (const chunk of streamBundleFile(bundle, `blobs/sha256/${HEX}`)) sizes.push(chunk.length);
    expect(sizes).toEqual([1024 * 1024, 1024 * 1024, 1024 * 1024, 5]);
  });

  it('refuses a file over its cap by its size at open, naming it', async () => {
    const error = await failure(readBundleFile(bundle, `blobs/sha256/${HEX}`, { limit: 1024, what: 'the blob' }));
    expect(error.code).toBe('BUNDLE_INVALID');
    expect(safeFileProblem(error)).toBe('too-large');
    expect(error.message).toMatch(/the blob in .* is 3145733 bytes, more than such a file may be \(1024\)/);
  });

  posixOnly('checks the cap while reading too: a file whose size says 0 but holds more is cut at the cap', async () => {
    // /proc files report size 0 and hold bytes: the same as a file that grows after the fstat.
    if (process.platform !== 'linux') return;
    const error = await failure(readBundleFile('/proc/self', 'status', { limit: 16 }));
    expect(safeFileProblem(error)).toBe('too-large');
    expect(error.message).toMatch(/over 16/);
  });

  it('is undefined for a missing file or folder with IfPresent, a refusal otherwise', async () => {
    expect(await readBundleFileIfPresent(bundle, 'nothing.json', { limit: 10 })).toBeUndefined();
    expect(await readBundleFileIfPresent(bundle, 'no/such/folder.json', { limit: 10 })).toBeUndefined();
    const error = await failure(readBundleFile(bundle, 'nothing.json', { limit: 10 }));
    expect(safeFileProblem(error)).toBe('missing');
    expect(error.message).toContain('nothing.json is missing');
  });

  it('a cancelled read throws CANCELLED', async () => {
    const controller = new AbortController();
    const chunks = streamBundleFile(bundle, `blobs/sha256/${HEX}`, { signal: controller.signal });
    await chunks.next();
    controller.abort();
    const error = await failure(chunks.next());
    expect(error.code).toBe('CANCELLED');
    controller.abort();
    expect((await failure(readBundleFile(bundle, 'ferry.json', { limit: 100, signal: controller.signal }))).code).toBe('CANCELLED');
  });
});

describe('what is not a regular file is refused by name, never opened or echoed', () => {
  posixOnly('a symlinked file: refused, its content is in no message', async () => {
    const error = await failure(readBundleFile(bundle, 'index.json', { limit: 1024 }));
    expect(safeFileProblem(error)).toBe('symlink');
    expect(error.message).toMatch(/index\.json in .* is a symbolic link, not a regular file/);
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(SECRET);
  });

  posixOnly('a symlinked blobs folder, and a symlinked blobs/sha256 folder: the host file behind is never read', async () => {
    const viaBlobs = join(work, 'via-blobs');
    await mkdir(viaBlobs);
    await symlink(host, join(viaBlobs, 'blobs'));
    const viaSha = join(work, 'via-sha');
    await mkdir(join(viaSha, 'blobs'), { recursive: true });
    await symlink(join(host, 'sha256'), join(viaSha, 'blobs', 'sha256'));
    for (const [root, folder] of [
      [viaBlobs, 'blobs'],
      [viaSha, 'blobs/sha256'],
    ] as const) {
      const error = await failure(collect(streamBundleFile(root, `blobs/sha256/${HEX}`)));
      expect(safeFileProblem(error)).toBe('symlink');
      expect(error.message).toContain(`${folder} in ${root} is a symbolic link, not a folder`);
      expect(error.message).not.toContain(SECRET);
      expect(safeFileProblem(await failure(entryKind(root, `blobs/sha256/${HEX}`)))).toBe('symlink');
      expect(safeFileProblem(await failure(listBundleFolder(root, 'blobs/sha256')))).toBe('symlink');
    }
  });

  posixOnly('a FIFO is refused at once, and six of them leave the file-I/O thread pool free', async () => {
    const error = await within(5000, failure(readBundleFile(bundle, 'oci-layout', { limit: 4096 })));
    expect(safeFileProblem(error)).toBe('not-a-file');
    expect(error.message).toMatch(/oci-layout in .* is a FIFO \(named pipe\), not a regular file/);
    const refused = await within(5000, Promise.all([0, 1, 2, 3, 4, 5].map((i) => failure(collect(streamBundleFile(bundle, `fifo-${i}`))))));
    expect(refused.map(safeFileProblem)).toEqual(Array(6).fill('not-a-file'));
    // Node's pool has 4 threads by default: a blocked open in each would make this read wait forever.
    expect((await within(5000, readFile(join(bundle, 'ferry.json')))).length).toBeGreaterThan(0);
  });

  posixOnly('a character device (/dev/zero, /dev/null) is refused without a byte read', async () => {
    const error = await within(5000, failure(readBundleFile('/dev', 'zero', { limit: 1024 * 1024 })));
    expect(safeFileProblem(error)).toBe('not-a-file');
    expect(error.message).toMatch(/zero in \/dev is a character device/);
    expect(safeFileProblem(await failure(collect(streamBundleFile('/dev', 'null'))))).toBe('not-a-file');
  });

  rootOnly('a device node made on the media itself is refused', async () => {
    execFileSync('mknod', [join(bundle, 'zero-device'), 'c', '1', '5']);
    const error = await within(5000, failure(readBundleFile(bundle, 'zero-device', { limit: 10 })));
    expect(error.message).toMatch(/zero-device in .* is a character device/);
  });

  posixOnly('a socket and a folder are refused', async () => {
    const path = join(bundle, 'socket');
    server = createServer();
    await new Promise<void>((resolve) => server?.listen(path, resolve));
    expect((await failure(openBundleFile(bundle, 'socket'))).message).toMatch(/socket in .* is a socket/);
    expect((await failure(openBundleFile(bundle, 'blobs'))).message).toMatch(/blobs in .* is a directory, not a regular file/);
  });
});

describe('folder listings and kinds', () => {
  posixOnly('lists entries with their kinds without opening any', async () => {
    const entries = await within(5000, listBundleFolder(bundle, ''));
    const kinds = Object.fromEntries((entries ?? []).map((entry) => [entry.name, entry.kind]));
    expect(kinds).toMatchObject({ 'ferry.json': 'file', blobs: 'directory', 'index.json': 'symlink', 'oci-layout': 'fifo' });
    expect(await listBundleFolder(bundle, 'blobs/sha256')).toEqual([{ name: HEX, kind: 'file' }]);
    expect(await listBundleFolder(bundle, 'nothing')).toBeUndefined();
  });

  posixOnly('entryKind tells a symlink, a FIFO and a file apart with lstat only', async () => {
    expect(await entryKind(bundle, 'index.json')).toMatchObject({ kind: 'symlink' });
    expect(await within(5000, entryKind(bundle, 'oci-layout'))).toMatchObject({ kind: 'fifo' });
    expect(await entryKind(bundle, `blobs/sha256/${HEX}`)).toEqual({ kind: 'file', size: 3 * 1024 * 1024 + 5 });
    expect(await entryKind(bundle, 'missing/x')).toBeUndefined();
  });

  it('refuses a folder named through a file', async () => {
    expect(safeFileProblem(await failure(listBundleFolder(bundle, 'ferry.json')))).toBe('not-a-directory');
    expect(safeFileProblem(await failure(openBundleFile(bundle, 'ferry.json/x')))).toBe('not-a-directory');
  });
});
