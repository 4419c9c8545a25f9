/**
 * Row 3's bad-bundle corpus, built from two real exported bundles (directory
 * and archive form) by damaging one thing per case: every file kind
 * bit-flipped, truncated, missing and extra; parts swapped, missing, extra and
 * renamed; symlinks at every level, FIFOs, devices and sockets; tar entries no
 * honest writer makes (corpus-tar.ts); hostile JSON (corpus-json.ts).
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readFile, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { craftArchive, paxRecord, type TarEntry } from './corpus-tar.ts';

/** The checks of `ferry verify` (src-main/bundle/verify-report.ts CHECK_ORDER). */
export type CheckId = 'schema' | 'parts' | 'blobs' | 'graph' | 'tar-safety' | 'files';

/** One damaged bundle and which checks may name the damage. */
export interface CorpusCase {
  name: string;
  form: 'directory' | 'archive';
  /** What kind of damage, for the table: file, part, special file, tar, JSON. */
  group: string;
  dir: string;
  /** A failure of any of these checks names the damage. */
  expect: CheckId[];
  /** Escape sequences were planted: the text report must print none raw. */
  textMustBeClean?: boolean;
}

/** The good bundles and what the cases need to know about them. */
export interface GoodBundles {
  directory: string;
  archive: string;
  /** Digests in the directory bundle by kind. */
  digests: { manifest: string; config: string; layer: string; index: string };
}

/** Corpus builder state: where cases go and what must be stopped afterwards. */
export class CorpusBuilder {
  readonly cases: CorpusCase[] = [];
  private readonly servers: Server[] = [];
  /** mknod worked here (root with CAP_MKNOD), else devices are symlinks to /dev/zero and /dev/urandom. */
  devicesAreReal = true;

  constructor(
    readonly good: GoodBundles,
    readonly work: string,
  ) {}

  /** A fresh copy of a good bundle for case `name`. */
  async copy(name: string, form: 'directory' | 'archive'): Promise<string> {
    const dir = join(this.work, 'cases', name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dirname(dir), { recursive: true });
    await cp(form === 'directory' ? this.good.directory : this.good.archive, dir, { recursive: true });
    return dir;
  }

  add(entry: CorpusCase): void {
    this.cases.push(entry);
  }

  /** Copies `path` outside the bundle and puts a symlink to that identical copy in its place, so only the symlink rule can refuse it. */
  async symlinkToCopy(path: string, caseName: string): Promise<void> {
    const outside = join(this.work, 'outside', caseName, basename(path));
    await mkdir(dirname(outside), { recursive: true });
    await cp(path, outside, { recursive: true });
    await rm(path, { recursive: true, force: true });
    await symlink(outside, path);
  }

  /** Replaces `path` with a FIFO nobody writes to: a reader that opens it blocks forever. */
  async fifo(path: string): Promise<void> {
    await rm(path, { force: true });
    execFileSync('mkfifo', [path]);
  }

  /** Replaces `path` with a character device (1,5 = /dev/zero, 1,9 = /dev/urandom), or a symlink to it where mknod is refused. */
  async device(path: string, minor: 5 | 9): Promise<void> {
    await rm(path, { force: true });
    try {
      execFileSync('mknod', [path, 'c', '1', String(minor)], { stdio: 'ignore' });
    } catch {
      this.devicesAreReal = false;
      await symlink(minor === 5 ? '/dev/zero' : '/dev/urandom', path);
    }
  }

  /** Replaces `path` with a listening Unix socket, kept open until stop(). */
  async socket(path: string): Promise<void> {
    await rm(path, { force: true });
    const server = createServer((connection) => connection.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, resolve);
    });
    this.servers.push(server);
  }

  /** Closes the sockets. */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

/** Flips the lowest bit of the first digit 0–8 after `marker` (a digit stays a digit, so JSON stays JSON). */
export async function flipDigitAfter(path: string, marker: string): Promise<void> {
  const bytes = await readFile(path);
  const start = bytes.indexOf(marker);
  if (start < 0) throw new Error(`${marker} not in ${path}`);
  for (let i = start + marker.length; i < bytes.length; i += 1) {
    const byte = bytes[i] ?? 0;
    if (byte >= 0x30 && byte <= 0x38) {
      bytes[i] = byte ^ 1;
      await writeFile(path, bytes);
      return;
    }
  }
  throw new Error(`no digit after ${marker} in ${path}`);
}

/** Flips one bit in the middle of a file. */
export async function flipMiddle(path: string): Promise<void> {
  const bytes = await readFile(path);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = (bytes[at] ?? 0) ^ 0x10;
  await writeFile(path, bytes);
}

const blobPath = (dir: string, digest: string): string => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));

/** File kinds × bit-flip, truncated, missing, extra; part damage; links and special files. */
export async function addFileCases(b: CorpusBuilder): Promise<void> {
  const d = b.good.digests;
  const dirFiles: Array<[string, (dir: string) => string, 'json' | 'blob' | 'marker']> = [
    ['ferry.json', (dir) => join(dir, 'ferry.json'), 'json'],
    ['index.json', (dir) => join(dir, 'index.json'), 'json'],
    ['oci-layout', (dir) => join(dir, 'oci-layout'), 'marker'],
    ['manifest blob', (dir) => blobPath(dir, d.manifest), 'blob'],
    ['config blob', (dir) => blobPath(dir, d.config), 'blob'],
    ['layer blob', (dir) => blobPath(dir, d.layer), 'blob'],
    ['index blob', (dir) => blobPath(dir, d.index), 'blob'],
  ];
  for (const [kind, pathOf, shape] of dirFiles) {
    const slug = kind.replace(/[ .]/g, '-');
    let dir = await b.copy(`${slug}-bit-flip`, 'directory');
    // In ferry.json a flip must hit something checked: a digit of the first listed blob's digest.
    if (kind === 'ferry.json') await flipDigitAfter(pathOf(dir), '"blobs": [');
    else if (kind === 'index.json') await flipDigitAfter(pathOf(dir), '"digest": "sha256:');
    else await flipMiddle(pathOf(dir));
    b.add({
      name: `${kind} bit-flipped`,
      form: 'directory',
      group: 'file',
      dir,
      expect: kind === 'ferry.json' ? ['schema', 'graph', 'blobs', 'files'] : shape === 'blob' ? ['blobs'] : ['graph', 'files'],
    });

    dir = await b.copy(`${slug}-truncated`, 'directory');
    const size = (await readFile(pathOf(dir))).length;
    await truncate(pathOf(dir), Math.floor(size / 2));
    b.add({ name: `${kind} truncated`, form: 'directory', group: 'file', dir, expect: kind === 'ferry.json' ? ['schema'] : shape === 'blob' ? ['blobs'] : ['graph', 'files'] });

    // ferry.json missing from a directory bundle leaves a valid plain OCI layout, which Ferry reads on purpose: that case is the archive's.
    if (kind !== 'ferry.json') {
      dir = await b.copy(`${slug}-missing`, 'directory');
      await rm(pathOf(dir));
      b.add({ name: `${kind} missing`, form: 'directory', group: 'file', dir, expect: shape === 'blob' ? ['blobs', 'graph'] : ['graph', 'files'] });
    }
  }
  let dir = await b.copy('extra-blob', 'directory');
  await writeFile(join(dir, 'blobs', 'sha256', 'f'.repeat(64)), 'not listed anywhere');
  b.add({ name: 'extra blob file (unlisted)', form: 'directory', group: 'file', dir, expect: ['graph', 'files', 'blobs'] });
  dir = await b.copy('extra-top-file', 'directory');
  await writeFile(join(dir, 'index.json.bak'), '{}');
  b.add({ name: 'extra file beside ferry.json', form: 'directory', group: 'file', dir, expect: ['files'] });
  dir = await b.copy('extra-sha512-dir', 'directory');
  await mkdir(join(dir, 'blobs', 'sha512'));
  await writeFile(join(dir, 'blobs', 'sha512', 'a'.repeat(128)), 'x');
  b.add({ name: 'extra folder blobs/sha512', form: 'directory', group: 'file', dir, expect: ['files', 'graph', 'blobs'] });

  // Archive form: ferry.json and the parts.
  const archiveFerry = JSON.parse(await readFile(join(b.good.archive, 'ferry.json'), 'utf8')) as { parts: Array<{ name: string; size: number }> };
  const [p0, p1, p2] = archiveFerry.parts;
  if (!p0 || !p1 || !p2 || archiveFerry.parts.length < 4) throw new Error('the corpus archive needs at least four parts');
  dir = await b.copy('archive-ferry-json-missing', 'archive');
  await rm(join(dir, 'ferry.json'));
  b.add({ name: 'ferry.json missing', form: 'archive', group: 'file', dir, expect: ['schema'] });
  dir = await b.copy('archive-ferry-json-truncated', 'archive');
  await truncate(join(dir, 'ferry.json'), 200);
  b.add({ name: 'ferry.json truncated', form: 'archive', group: 'file', dir, expect: ['schema'] });
  dir = await b.copy('archive-ferry-json-bit-flip', 'archive');
  await flipDigitAfter(join(dir, 'ferry.json'), '"sha256": "');
  b.add({ name: "ferry.json bit-flipped (a part's sha256)", form: 'archive', group: 'file', dir, expect: ['parts'] });
  dir = await b.copy('part-bit-flip', 'archive');
  await flipMiddle(join(dir, p1.name));
  b.add({ name: 'part bit-flipped', form: 'archive', group: 'part', dir, expect: ['parts'] });
  dir = await b.copy('part-truncated', 'archive');
  await truncate(join(dir, p1.name), Math.floor(p1.size / 2));
  b.add({ name: 'part truncated', form: 'archive', group: 'part', dir, expect: ['parts'] });
  dir = await b.copy('part-missing', 'archive');
  await rm(join(dir, p2.name));
  b.add({ name: 'part missing', form: 'archive', group: 'part', dir, expect: ['parts'] });
  dir = await b.copy('part-extra', 'archive');
  await cp(join(dir, p0.name), join(dir, `part-${String(archiveFerry.parts.length + 5).padStart(6, '0')}.tar`));
  b.add({ name: 'part extra (unlisted copy)', form: 'archive', group: 'part', dir, expect: ['files', 'parts'] });
  dir = await b.copy('parts-swapped', 'archive');
  await rename(join(dir, p0.name), join(dir, 'swap'));
  await rename(join(dir, p1.name), join(dir, p0.name));
  await rename(join(dir, 'swap'), join(dir, p1.name));
  b.add({ name: 'parts swapped', form: 'archive', group: 'part', dir, expect: ['parts'] });
  dir = await b.copy('part-renamed', 'archive');
  await rename(join(dir, p1.name), join(dir, p1.name.replace('.tar', '.TAR')));
  b.add({ name: 'part renamed', form: 'archive', group: 'part', dir, expect: ['parts', 'files'] });

  // Symlinks to identical copies outside the bundle, at every level, and special files.
  const links: Array<[string, 'directory' | 'archive', (dir: string) => string, CheckId[]]> = [
    ['ferry.json', 'directory', (x) => join(x, 'ferry.json'), ['schema']],
    ['index.json', 'directory', (x) => join(x, 'index.json'), ['graph', 'files']],
    ['oci-layout', 'directory', (x) => join(x, 'oci-layout'), ['files']],
    ['a layer blob', 'directory', (x) => blobPath(x, d.layer), ['blobs']],
    ['the blobs folder', 'directory', (x) => join(x, 'blobs'), ['blobs', 'files']],
    ['the blobs/sha256 folder', 'directory', (x) => join(x, 'blobs', 'sha256'), ['blobs', 'files']],
    ['ferry.json (archive)', 'archive', (x) => join(x, 'ferry.json'), ['schema']],
    ['a part', 'archive', (x) => join(x, p1.name), ['parts']],
  ];
  for (const [what, form, pathOf, expect] of links) {
    const name = `symlink-${what.replace(/[^a-z0-9]+/gi, '-')}-${form}`;
    dir = await b.copy(name, form);
    await b.symlinkToCopy(pathOf(dir), name);
    b.add({ name: `${what} is a symlink (to an identical copy)`, form, group: 'link', dir, expect });
  }
  const specials: Array<[string, 'directory' | 'archive', (dir: string) => string, CheckId[], (path: string) => Promise<void>]> = [
    ['ferry.json is a FIFO', 'directory', (x) => join(x, 'ferry.json'), ['schema'], (p) => b.fifo(p)],
    ['index.json is a FIFO', 'directory', (x) => join(x, 'index.json'), ['graph', 'files'], (p) => b.fifo(p)],
    ['a layer blob is a FIFO', 'directory', (x) => blobPath(x, d.layer), ['blobs', 'graph', 'files'], (p) => b.fifo(p)],
    ['a part is a FIFO', 'archive', (x) => join(x, p1.name), ['parts'], (p) => b.fifo(p)],
    ['ferry.json is a device (zero)', 'directory', (x) => join(x, 'ferry.json'), ['schema'], (p) => b.device(p, 5)],
    ['a layer blob is a device (urandom)', 'directory', (x) => blobPath(x, d.layer), ['blobs', 'graph', 'files'], (p) => b.device(p, 9)],
    ['a part is a device (zero)', 'archive', (x) => join(x, p1.name), ['parts'], (p) => b.device(p, 5)],
    ['a layer blob is a socket', 'directory', (x) => blobPath(x, d.layer), ['blobs', 'graph', 'files'], (p) => b.socket(p)],
    ['index.json is a socket', 'directory', (x) => join(x, 'index.json'), ['graph', 'files'], (p) => b.socket(p)],
  ];
  for (const [what, form, pathOf, expect, make] of specials) {
    dir = await b.copy(what.replace(/[^a-z0-9]+/gi, '-'), form);
    await make(pathOf(dir));
    b.add({ name: what, form, group: 'special file', dir, expect });
  }
}

/** Tar entries no honest writer makes, spliced into a self-consistent archive bundle. */
export async function addTarCases(b: CorpusBuilder): Promise<void> {
  const fake = `blobs/sha256/${'e'.repeat(64)}`;
  const payload = Buffer.from('* * * * * root id\n');
  const beforeIndex = (extra: TarEntry[]) => (entries: TarEntry[]) => {
    const at = entries.findIndex((e) => e.name === 'index.json');
    return [...entries.slice(0, at), ...extra, ...entries.slice(at)];
  };
  const cases: Array<[string, (entries: TarEntry[]) => TarEntry[], ((stream: Buffer) => void)?]> = [
    ['entry named ../../etc/cron.d/ferry', beforeIndex([{ name: '../../etc/cron.d/ferry', data: payload }])],
    ['absolute entry name /etc/cron.d/ferry', beforeIndex([{ name: '/etc/cron.d/ferry', data: payload }])],
    [
      'pax header overriding the path to ../../x',
      beforeIndex([
        { name: 'PaxHeaders/x', type: 'x', data: paxRecord('path', '../../etc/cron.d/ferry') },
        { name: fake, data: payload },
      ]),
    ],
    [
      'pax header overriding the size',
      (entries) => {
        const at = entries.findIndex((e) => e.name.startsWith('blobs/'));
        const target = entries[at];
        if (!target) return entries;
        return [...entries.slice(0, at), { name: 'PaxHeaders/size', type: 'x', data: paxRecord('size', String(target.data.length + 1024)) }, ...entries.slice(at)];
      },
    ],
    [
      'GNU long name record',
      beforeIndex([
        { name: '././@LongLink', type: 'L', data: Buffer.from(`../../${'long/'.repeat(40)}ferry\0`) },
        { name: fake, data: payload },
      ]),
    ],
    ['GNU sparse entry', beforeIndex([{ name: fake, type: 'S', data: payload }])],
    [
      'duplicate entry (a blob twice)',
      (entries) => {
        const blob = entries.find((e) => e.name.startsWith('blobs/'));
        return blob ? beforeIndex([{ ...blob }])(entries) : entries;
      },
    ],
    [
      'header checksum error',
      (entries) => entries,
      (stream) => {
        // The first header is oci-layout's: change its mode without fixing the checksum.
        stream[100 + 4] = 0x37;
      },
    ],
    ['symlink entry to /etc/shadow', beforeIndex([{ name: fake, type: '2', linkname: '/etc/shadow', data: Buffer.alloc(0) }])],
    [
      'hard-link entry to another blob',
      (entries) => {
        const blob = entries.find((e) => e.name.startsWith('blobs/'));
        return beforeIndex([{ name: fake, type: '1', linkname: blob?.name ?? 'oci-layout', data: Buffer.alloc(0) }])(entries);
      },
    ],
    ['FIFO entry', beforeIndex([{ name: fake, type: '6', data: Buffer.alloc(0) }])],
    ['character device entry', beforeIndex([{ name: fake, type: '3', data: Buffer.alloc(0) }])],
  ];
  for (const [what, edit, raw] of cases) {
    const dir = join(b.work, 'cases', `tar-${what.replace(/[^a-z0-9]+/gi, '-')}`);
    await craftArchive(b.good.archive, dir, edit, raw);
    b.add({ name: what, form: 'archive', group: 'tar', dir, expect: ['tar-safety'] });
  }
}
