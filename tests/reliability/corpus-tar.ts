/**
 * Hand-written tar for the bad-bundle corpus: reads a good archive bundle's
 * tar stream back into entries, lets a case splice in what no honest writer
 * produces (`..`, absolute names, pax and GNU records, sparse, links, special
 * files, a wrong header checksum), and writes it out as parts whose sizes and
 * sha256 in ferry.json are right, so only the tar-safety check can refuse it.
 * Written here, not with tar-stream, because a broken header is the point.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Tar blocks (POSIX ustar). */
const BLOCK = 512;

/** One tar entry as the corpus writes it; `type` is the ustar typeflag character. */
export interface TarEntry {
  name: string;
  data: Buffer;
  type?: string;
  linkname?: string;
  /** Size written into the header when it must lie about the data. */
  headerSize?: number;
  /** Spoil the header checksum. */
  badChecksum?: boolean;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** One 512-byte ustar header. */
export function tarHeader(entry: TarEntry): Buffer {
  const header = Buffer.alloc(BLOCK);
  const name = Buffer.from(entry.name, 'utf8');
  if (name.length > 100) {
    // Split at a '/' into prefix and name as ustar allows; callers keep names splittable.
    const cut = entry.name.lastIndexOf('/', entry.name.length - 1);
    header.write(entry.name.slice(cut + 1), 0, 100, 'utf8');
    header.write(entry.name.slice(0, cut), 345, 155, 'utf8');
  } else name.copy(header, 0);
  header.write(octal(0o644, 8), 100, 'latin1');
  header.write(octal(0, 8), 108, 'latin1');
  header.write(octal(0, 8), 116, 'latin1');
  header.write(octal(entry.headerSize ?? entry.data.length, 12), 124, 'latin1');
  header.write(octal(0, 12), 136, 'latin1');
  header.write(entry.type ?? '0', 156, 'latin1');
  if (entry.linkname) header.write(entry.linkname, 157, 100, 'utf8');
  header.write('ustar\0', 257, 'latin1');
  header.write('00', 263, 'latin1');
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  if (entry.badChecksum) sum += 1;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return header;
}

/** A pax extended header record "LEN key=value\n" (LEN counts itself). */
export function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length += 1;
  return Buffer.from(`${length}${body}`);
}

/** The whole tar stream of the entries, with the two zero blocks at the end. */
export function encodeTar(entries: readonly TarEntry[]): Buffer {
  const chunks: Buffer[] = [];
  for (const entry of entries) {
    chunks.push(tarHeader(entry));
    if (entry.data.length > 0) chunks.push(entry.data, Buffer.alloc((BLOCK - (entry.data.length % BLOCK)) % BLOCK));
  }
  chunks.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(chunks);
}

/** The plain file entries of a tar stream Ferry wrote (ustar only, no pax). */
export function decodeTar(stream: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let at = 0;
  while (at + BLOCK <= stream.length) {
    const header = stream.subarray(at, at + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const text = (from: number, to: number): string => header.subarray(from, to).toString('utf8').replace(/\0.*$/s, '');
    const prefix = text(345, 500);
    const name = prefix ? `${prefix}/${text(0, 100)}` : text(0, 100);
    const size = parseInt(text(124, 136).trim() || '0', 8);
    entries.push({ name, data: Buffer.from(stream.subarray(at + BLOCK, at + BLOCK + size)) });
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}

interface PartRef {
  name: string;
  size: number;
  sha256: string;
}

/** A good archive bundle's tar stream and ferry.json, to craft from. */
export async function readArchive(dir: string): Promise<{ entries: TarEntry[]; ferry: Record<string, unknown> & { parts: PartRef[] }; partSize: number }> {
  const ferry = JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as Record<string, unknown> & { parts: PartRef[] };
  const stream = Buffer.concat(await Promise.all(ferry.parts.map((p) => readFile(join(dir, p.name)))));
  return { entries: decodeTar(stream), ferry, partSize: ferry.parts[0]?.size ?? stream.length };
}

/** Writes `stream` as parts of `partSize` into `dir` and ferry.json listing them with the right sizes and sha256. */
export async function writeArchive(dir: string, stream: Buffer, ferry: Record<string, unknown> & { parts: PartRef[] }, partSize: number): Promise<void> {
  const parts: PartRef[] = [];
  // Number the parts as the exporter did (its first part's index).
  const first = Number(/(\d+)/.exec(ferry.parts[0]?.name ?? '')?.[1] ?? 0);
  for (let offset = 0, index = first; offset < stream.length; offset += partSize, index += 1) {
    const bytes = stream.subarray(offset, offset + partSize);
    const name = `part-${String(index).padStart(6, '0')}.tar`;
    await writeFile(join(dir, name), bytes);
    parts.push({ name, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  await writeFile(join(dir, 'ferry.json'), `${JSON.stringify({ ...ferry, parts }, null, 2)}\n`);
}

/** Re-writes a copy of a good archive bundle with its tar entries changed by `edit`; parts and ferry.json stay self-consistent. */
export async function craftArchive(good: string, dir: string, edit: (entries: TarEntry[]) => TarEntry[], rawEdit?: (stream: Buffer) => void): Promise<void> {
  const { entries, ferry, partSize } = await readArchive(good);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const stream = encodeTar(edit(entries));
  rawEdit?.(stream);
  await writeArchive(dir, stream, ferry, partSize);
}
