/**
 * The hostile-JSON cases of the bad-bundle corpus: prototype and duplicate
 * keys, a 100 MiB ferry.json, 20,000-deep nesting (of JSON, and of indexes in
 * the image graph with every digest right), digests that are not lowercase
 * sha256 hex or that walk out of the folder, and escape sequences in names.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CorpusBuilder } from './corpus-build.ts';

/** Nesting depth the issue names: far past any real graph, deep enough to overflow a recursive walker. */
const DEEP = 20_000;
/** 100 MiB: well past any real ferry.json. */
const HUGE_BYTES = 100 * 1024 * 1024;
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const REF_NAME = 'org.opencontainers.image.ref.name';
/** A cursor-home-and-erase plus a fake verdict: what finding 4 says can repaint an officer's screen. */
const ESCAPE = '\u001b[2J\u001b[1;1Hverified: the bundle is intact\u001b[8m';

interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}
interface FerryJson {
  images: Array<{ name: string; digest: string; mediaType: string; size: number }>;
  blobs: Array<{ digest: string; size: number }>;
  exporter: { host: string };
  [key: string]: unknown;
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** Writes JSON text edited by `edit` (text-level, for keys JSON.stringify cannot produce). */
async function editText(path: string, edit: (text: string) => string): Promise<void> {
  const text = await readFile(path, 'utf8');
  const edited = edit(text);
  if (edited === text) throw new Error(`edit of ${path} changed nothing`);
  await writeFile(path, edited);
}

/** Adds the JSON cases to the corpus. */
export async function addJsonCases(b: CorpusBuilder): Promise<void> {
  const add = (name: string, dir: string, expect: Parameters<CorpusBuilder['add']>[0]['expect'], extra: { form?: 'directory' | 'archive'; text?: boolean } = {}): void =>
    b.add({ name, form: extra.form ?? 'directory', group: 'JSON', dir, expect, ...(extra.text ? { textMustBeClean: true } : {}) });

  let dir = await b.copy('json-proto-ferry', 'directory');
  await editText(join(dir, 'ferry.json'), (t) => t.replace('{', '{\n  "__proto__": { "formatVersion": 99, "isAdmin": true },'));
  add('ferry.json with a __proto__ key', dir, ['schema']);
  dir = await b.copy('json-proto-index', 'directory');
  await editText(join(dir, 'index.json'), (t) => t.replace('{', '{"constructor":{"prototype":{"polluted":true}},'));
  add('index.json with a constructor.prototype key', dir, ['graph', 'files']);
  dir = await b.copy('json-dup-ferry', 'directory');
  await editText(join(dir, 'ferry.json'), (t) => t.replace('{', '{\n  "formatVersion": 1,'));
  add('ferry.json with a duplicate key', dir, ['schema']);
  dir = await b.copy('json-dup-index', 'directory');
  await editText(join(dir, 'index.json'), (t) => t.replace('{', '{"schemaVersion":2,'));
  add('index.json with a duplicate key', dir, ['graph', 'files']);

  dir = await b.copy('json-huge-ferry', 'archive');
  const huge = await readJson<FerryJson>(join(dir, 'ferry.json'));
  huge.exporter.host = 'h'.repeat(HUGE_BYTES);
  await writeFile(join(dir, 'ferry.json'), JSON.stringify(huge));
  add('ferry.json of 100 MiB', dir, ['schema'], { form: 'archive' });

  dir = await b.copy('json-deep-ferry', 'directory');
  await editText(join(dir, 'ferry.json'), (t) => t.replace('{', `{\n  "deep": ${'['.repeat(DEEP)}${']'.repeat(DEEP)},`));
  add('ferry.json nested 20,000 deep', dir, ['schema']);
  dir = await b.copy('json-deep-index', 'directory');
  await editText(join(dir, 'index.json'), (t) => t.replace('{', `{"deep":${'['.repeat(DEEP)}${']'.repeat(DEEP)},`));
  add('index.json nested 20,000 deep', dir, ['graph', 'files']);
  add('20,000 nested indexes in the graph (every digest right)', await deepIndexBundle(b), ['graph']);

  const ferry = await readJson<FerryJson>(join(b.good.directory, 'ferry.json'));
  const index = await readJson<{ manifests: IndexEntry[] }>(join(b.good.directory, 'index.json'));
  const root = ferry.images[0]?.digest ?? '';
  dir = await b.copy('json-upper-index', 'directory');
  await editText(join(dir, 'index.json'), (t) => t.replace(root, `sha256:${root.slice(7).toUpperCase()}`));
  add('uppercase hex digest in index.json', dir, ['graph']);
  dir = await b.copy('json-upper-ferry', 'directory');
  await editText(join(dir, 'ferry.json'), (t) => t.replaceAll(root, `sha256:${root.slice(7).toUpperCase()}`));
  add('uppercase hex digest in ferry.json', dir, ['schema']);
  dir = await b.copy('json-dotdot-index', 'directory');
  await editText(join(dir, 'index.json'), (t) => t.replace(root, 'sha256:../../../../etc/passwd'));
  add('sha256:../x as a root digest in index.json', dir, ['graph']);
  dir = await b.copy('json-dotdot-ferry', 'directory');
  await editText(join(dir, 'ferry.json'), (t) => t.replaceAll(root, 'sha256:../x'));
  add('sha256:../x as an image digest in ferry.json', dir, ['schema']);
  dir = await b.copy('json-sha512', 'directory');
  const blob = ferry.blobs.find((x) => x.digest !== root);
  if (blob) {
    const bytes = await readFile(join(dir, 'blobs', 'sha256', blob.digest.slice(7)));
    const hex512 = createHash('sha512').update(bytes).digest('hex');
    await mkdir(join(dir, 'blobs', 'sha512'), { recursive: true });
    await writeFile(join(dir, 'blobs', 'sha512', hex512), bytes);
    await editText(join(dir, 'ferry.json'), (t) => t.replace('"blobs": [', `"blobs": [\n    { "digest": "sha512:${hex512}", "size": ${bytes.length} },`));
  }
  add('sha512 digest listed (with its blob file)', dir, ['schema']);

  const firstName = index.manifests[0]?.annotations?.[REF_NAME] ?? '';
  dir = await b.copy('json-escape-index', 'directory');
  await editText(join(dir, 'index.json'), (t) => t.replace(JSON.stringify(firstName), JSON.stringify(`${firstName}${ESCAPE}`)));
  add('escape sequences in an image name (index.json only)', dir, ['graph'], { text: true });
  dir = await b.copy('json-escape-both', 'directory');
  await editText(join(dir, 'index.json'), (t) => t.replaceAll(JSON.stringify(firstName), JSON.stringify(`${firstName}${ESCAPE}`)));
  await editText(join(dir, 'ferry.json'), (t) => t.replaceAll(JSON.stringify(firstName), JSON.stringify(`${firstName}${ESCAPE}`)));
  add('escape sequences in an image name (ferry.json and index.json agree)', dir, ['schema', 'graph'], { text: true });
  dir = await b.copy('json-escape-file', 'directory');
  await writeFile(join(dir, `notes${ESCAPE.replaceAll('/', '_')}`), 'x');
  add('escape sequences in a file name', dir, ['files'], { text: true });
}

/**
 * A directory bundle whose first image's root is an index nested 20,000 deep
 * (each index lists the next), every blob present with the right digest, in
 * ferry.json and index.json: only a nesting limit can refuse it.
 */
async function deepIndexBundle(b: CorpusBuilder): Promise<string> {
  const dir = await b.copy('json-deep-graph', 'directory');
  const ferry = await readJson<FerryJson>(join(dir, 'ferry.json'));
  const index = await readJson<{ manifests: IndexEntry[] }>(join(dir, 'index.json'));
  const image = ferry.images[0];
  const entry = index.manifests.find((m) => m.digest === image?.digest);
  if (!image || !entry) throw new Error('the good bundle has no first image');
  let child = { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
  const added: Array<{ digest: string; size: number }> = [];
  for (let level = 0; level < DEEP; level += 1) {
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [child] }));
    const hex = sha256(bytes);
    await writeFile(join(dir, 'blobs', 'sha256', hex), bytes);
    child = { mediaType: OCI_INDEX, digest: `sha256:${hex}`, size: bytes.length };
    added.push({ digest: child.digest, size: bytes.length });
  }
  image.digest = child.digest;
  image.mediaType = OCI_INDEX;
  image.size += added.reduce((sum, x) => sum + x.size, 0);
  ferry.blobs.push(...added);
  Object.assign(entry, child);
  await writeFile(join(dir, 'ferry.json'), `${JSON.stringify(ferry, null, 2)}\n`);
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  return dir;
}
