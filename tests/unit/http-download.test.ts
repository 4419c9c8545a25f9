/**
 * The one HTTP download of the connected side (sources/http-download.ts), as
 * chart repositories and `files:` URLs use it, against static servers on
 * loopback (one plain, one https with a CA made for the run): redirects
 * followed up to the hop limit and never from https to http, the job's TLS
 * trust used, a byte cap, and URLs recorded and shown without their query or
 * login.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACCESS, Registries } from '../../src-main/oci/registry/registries.ts';
import { findChart } from '../../src-main/sources/chart-repository.ts';
import { resolveCharts } from '../../src-main/sources/charts.ts';
import { closeHttpConnections, downloadToFile, MAX_REDIRECTS } from '../../src-main/sources/http-download.ts';
import { readImageSet } from '../../src-main/sources/image-set.ts';
import type { ChartSelection } from '../../src-main/sources/image-set-schema.ts';
import { resolveFiles } from '../../src-main/sources/local-files.ts';
import { chartIndex as index, packChart, sha256Hex, startStaticServer, type StaticServer } from '../harness/chart-fixture.ts';
import { makePki } from '../harness/pki.ts';
import { failure } from '../harness/test-helpers.ts';

let plain: StaticServer;
let secure: StaticServer;
let work: string;
/** Trusts the run's CA, as `--cert-dir`/`--ca-cert` would. */
let trusting: Registries;
const untrusting = new Registries(DEFAULT_ACCESS);
const TOOL = Buffer.from('#!/bin/sh\necho ferry\n');
let webArchive: Buffer;

const redirect = (location: string): { body: Buffer; status: number; headers: Record<string, string> } => ({ body: Buffer.alloc(0), status: 302, headers: { location } });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-http-download-'));
  const pki = await makePki(work, 'static', 'server');
  plain = await startStaticServer();
  secure = await startStaticServer({ cert: pki.leafCertPem, key: pki.leafKeyPem });
  trusting = new Registries({ ...DEFAULT_ACCESS, tls: { verify: true, caCertFiles: [pki.caCertFile], certDirs: [] } });
  webArchive = await packChart({ name: 'web', version: '1.0.0' });
  const repoIndex = index({ web: [{ version: '1.0.0', urls: ['web-1.0.0.tgz'] }] });
  // A chain of redirects: /chain/0/index.yaml → /chain/1/index.yaml → … → /chain/N/index.yaml, the index.
  for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) plain.files.set(`/chain/${hop}/index.yaml`, redirect(`/chain/${hop + 1}/index.yaml`));
  plain.files.set(`/chain/${MAX_REDIRECTS + 1}/index.yaml`, { body: repoIndex });
  plain.files.set('/nodigest/index.yaml', { body: repoIndex });
  plain.files.set('/nodigest/web-1.0.0.tgz', { body: webArchive });
  secure.files.set('/nodigest/index.yaml', { body: repoIndex });
  secure.files.set('/nodigest/web-1.0.0.tgz', { body: webArchive });
  secure.files.set('/down/index.yaml', redirect(`${plain.url}/nodigest/index.yaml`));
  // An index whose chart URL carries a token in its query, as signed or private indexes do.
  const signed = { version: '1.0.0', urls: [`${secure.url}/signed/web-1.0.0.tgz?token=s3cret`], digest: sha256Hex(webArchive) };
  secure.files.set('/signed/index.yaml', { body: index({ web: [signed], liar: [signed] }) });
  secure.files.set('/signed/web-1.0.0.tgz', { body: webArchive });
  secure.files.set('/tools/ferry.sh', { body: TOOL });
  secure.files.set('/tools/down.sh', redirect(`${plain.url}/tools/ferry.sh`));
  plain.files.set('/tools/ferry.sh', { body: TOOL });
});

afterAll(async () => {
  for (const registries of [trusting, untrusting]) {
    await closeHttpConnections(registries);
    await registries.close();
  }
  await plain.close();
  await secure.close();
  await rm(work, { recursive: true, force: true });
});

describe('redirects', () => {
  it(`follows ${MAX_REDIRECTS} redirects and refuses one more`, async () => {
    const found = await findChart(untrusting, new URL(`${plain.url}/chain/1`), 'web', { exact: '1.0.0' });
    expect(found.version).toBe('1.0.0');
    const error = await failure(findChart(untrusting, new URL(`${plain.url}/chain/0`), 'web', { exact: '1.0.0' }));
    expect(error.message).toBe(`chart repository ${plain.url}/chain/0: more than ${MAX_REDIRECTS} redirects from ${plain.url}/chain/0/index.yaml`);
  });

  it('refuses a redirect from https to plain http, for an index and for a files: URL', async () => {
    const index = await failure(findChart(trusting, new URL(`${secure.url}/down`), 'web', { exact: '1.0.0' }));
    expect([index.code, index.message]).toEqual([
      'INSECURE_REDIRECT',
      `chart repository ${secure.url}/down: ${secure.url}/down/index.yaml redirects to http://${new URL(plain.url).host}, which is refused`,
    ]);
    const staging = await mkdtemp(join(work, 'staging-'));
    const file = await failure(
      resolveFiles([{ url: `${secure.url}/tools/down.sh`, target: { path: 'tools/sh', tag: 'v1' } }], { registries: trusting, platforms: { kind: 'all' }, baseDir: work, staging }),
    );
    expect(file.code).toBe('INSECURE_REDIRECT');
    expect(await readdir(staging)).toEqual([]);
  });
});

describe('files: URLs', () => {
  it("are downloaded with the job's TLS trust (a private CA), and recorded without their query", async () => {
    const staging = await mkdtemp(join(work, 'staging-'));
    const entry = { url: `${secure.url}/tools/ferry.sh?X-Amz-Signature=s3cret`, sha256: sha256Hex(TOOL), target: { path: 'tools/sh', tag: 'v1' } };
    const resolved = await resolveFiles([entry], { registries: trusting, platforms: { kind: 'all' }, baseDir: work, staging });
    const [artifact] = resolved.artifacts ?? [];
    expect(artifact?.source).toBe(`${secure.url}/tools/ferry.sh`);
    expect(artifact?.layers.map((l) => l.title)).toEqual(['ferry.sh']);
    expect(await readFile(artifact?.layers[0]?.file ?? '')).toEqual(TOOL);
    // Without the CA the same download is a TLS error that does not show the signature.
    const untrusted = await failure(resolveFiles([entry], { registries: untrusting, platforms: { kind: 'all' }, baseDir: work, staging: await mkdtemp(join(work, 'staging-')) }));
    expect(untrusted.code).toBe('TLS_ERROR');
    expect(untrusted.message).not.toContain('s3cret');
    const wrong = await failure(
      resolveFiles([{ ...entry, sha256: '0'.repeat(64) }], { registries: trusting, platforms: { kind: 'all' }, baseDir: work, staging: await mkdtemp(join(work, 'staging-')) }),
    );
    expect(wrong.message).toBe(`${secure.url}/tools/ferry.sh: downloaded content has sha256 ${sha256Hex(TOOL)}, the image set expects ${'0'.repeat(64)}`);
  });

  it('refuses a login in the URL without echoing it', async () => {
    const set = join(work, 'login.yaml');
    await writeFile(set, `files:\n  - url: https://user:t0ken@files.example.com/x.sh\n    target: tools/x\n`);
    const error = await failure(readImageSet(set));
    expect(error.message).toContain('files[0].url must not hold a login');
    expect(error.message).not.toContain('t0ken');
  });

  it('stops a download past its byte cap and leaves no file behind', async () => {
    const file = join(work, 'capped');
    const error = await failure(downloadToFile(untrusting, new URL(`${plain.url}/tools/ferry.sh`), file, { subject: 'capped', limit: 8 }));
    expect([error.code, error.message]).toEqual(['INVALID_CONTENT', `capped: ${plain.url}/tools/ferry.sh is ${TOOL.length} bytes, more than the 8 bytes allowed`]);
    await expect(readFile(file)).rejects.toThrow();
  });
});

describe('charts from HTTP repositories', () => {
  it('a chart the index gives no digest for is refused over http, naming the chart and the way out; over https it is carried with a note', async () => {
    const over = (url: string): ChartSelection => ({ repository: { kind: 'http', url: new URL(url) }, name: 'web', version: { exact: '1.0.0' }, images: true });
    const context = { registries: trusting, platforms: { kind: 'all' as const }, baseDir: work, staging: await mkdtemp(join(work, 'staging-')) };
    const refused = await failure(resolveCharts([over(`${plain.url}/nodigest`)], context));
    expect(refused.message).toBe(
      `charts: web 1.0.0: its index gives no digest and it would come over plain http (${plain.url}/nodigest/web-1.0.0.tgz); serve the repository over https, or index it with digests (helm repo index writes them)`,
    );
    const carried = await resolveCharts([over(`${secure.url}/nodigest`)], context);
    expect(carried.artifacts?.map((a) => a.source)).toEqual([`${secure.url}/nodigest/web-1.0.0.tgz`]);
    expect(carried.notes[0]).toBe(`charts: the index gives no digest for web 1.0.0; carried as downloaded over https (sha256:${sha256Hex(webArchive)})`);
  });

  it('a chart URL with a token in its query is recorded and shown without it', async () => {
    const chart: ChartSelection = { repository: { kind: 'http' as const, url: new URL(`${secure.url}/signed`) }, name: 'web', version: { exact: '1.0.0' }, images: false };
    const resolved = await resolveCharts([chart], { registries: trusting, platforms: { kind: 'all' }, baseDir: work, staging: await mkdtemp(join(work, 'staging-')) });
    expect(resolved.artifacts?.map((a) => a.source)).toEqual([`${secure.url}/signed/web-1.0.0.tgz`]);
    const liar = await failure(resolveCharts([{ ...chart, name: 'liar' }], { registries: trusting, platforms: { kind: 'all' }, baseDir: work, staging: await mkdtemp(join(work, 'staging-')) }));
    expect(liar.message).toBe(`${secure.url}/signed/web-1.0.0.tgz holds chart web 1.0.0, not the liar 1.0.0 its repository lists`);
    expect(liar.message).not.toContain('s3cret');
  });
});
