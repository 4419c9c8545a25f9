/**
 * Review item 9 (issue 14), against the real registry: import writes the
 * referrers fallback index `sha256-<hex>` only where the registry has no
 * referrers API, and a registry that says so with 400 or 405 (through the
 * fault proxy; Distribution 2.8 itself answers 404) gets the fallback index
 * like one answering 404, instead of a failed import. A fallback tag that
 * already holds something other than an OCI index is never replaced: the
 * import is refused before its first write, naming the tag.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, trackDir } from '../harness/cleanup.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startFaultProxy } from '../harness/fault-proxy.ts';
import { startRegistry } from '../harness/registry.ts';
import { smallImageEntry, writeBundle, type BundleEntry } from '../harness/signed-bundle.ts';
import { buildReferrerSignature, fallbackTag, makeFixtureKey, pushSmallImage } from '../harness/signed-images.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

const teardown = new Teardown();
const access = ['--plain-http', '--authfile', emptyAuthFile];
const REPOSITORY = 'mirror/org/app';
let bundle: string;
let app: BundleEntry;
let signature: BundleEntry;

/** GETs a manifest by tag or digest: its status, digest and body. */
async function manifestAt(registry: { url: string }, repository: string, reference: string): Promise<{ status: number; digest: string | null; body: string }> {
  const accept = ['application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json'].join(', ');
  const response = await fetch(`${registry.url}/v2/${repository}/manifests/${reference}`, { headers: { accept } });
  return { status: response.status, digest: response.headers.get('docker-content-digest'), body: await response.text() };
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-referrers-fallback-'));
  trackDir(dir);
  teardown.add(dir, removeDir);
  app = await smallImageEntry('quay.io/org/app:v1', 'app');
  const subject = { mediaType: app.manifest.mediaType, digest: app.manifest.digest, size: app.manifest.size };
  const built = buildReferrerSignature(subject, 'quay.io/org/app', makeFixtureKey());
  const name = `quay.io/org/app@${built.manifest.digest}`;
  signature = { name, source: name, manifest: built.manifest, blobs: [built.config, ...built.layers], referrer: { subject: app.manifest.digest, kind: 'signature' } };
  bundle = join(dir, 'bundle');
  await writeBundle(bundle, [app, signature]);
});

afterAll(async () => {
  await teardown.run();
});

describe('the referrers fallback tag on import', () => {
  for (const status of [400, 405] as const) {
    it(`a registry answering ${status} to GET referrers has no referrers API: the fallback index is written and the import succeeds`, async () => {
      const mirror = await startRegistry({ mode: 'anonymous' });
      const proxy = await startFaultProxy({ upstream: mirror.url });
      try {
        proxy.addFault({ method: 'GET', path: /\/referrers\//, times: 100, fault: { kind: 'status', status } });
        const result = await runFerry('import', bundle, '--to', `${proxy.host}/mirror`, ...access);
        expect(result.stderr).not.toMatch(/error/i);
        expect(result.code).toBe(0);
        expect(proxy.requests.some((request) => request.path.includes('/referrers/') && request.status === status)).toBe(true);
        const index = await manifestAt(mirror, REPOSITORY, fallbackTag(app.manifest.digest));
        expect(index.status).toBe(200);
        expect((JSON.parse(index.body) as { manifests: Array<{ digest: string }> }).manifests.map((m) => m.digest)).toEqual([signature.manifest.digest]);
      } finally {
        await proxy.stop();
        await mirror.stop();
      }
    });
  }

  it('a fallback tag holding an image is never replaced: the import is refused before its first write, naming the tag', async () => {
    const mirror = await startRegistry({ mode: 'anonymous' });
    try {
      const squatter = await pushSmallImage(mirror, REPOSITORY, fallbackTag(app.manifest.digest), 'someone else’s image');
      const result = await runFerry('import', bundle, '--to', `${mirror.host}/mirror`, ...access);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`${mirror.host}/${REPOSITORY}:${fallbackTag(app.manifest.digest)} holds a application/vnd.oci.image.manifest.v1+json manifest`);
      expect(result.stderr).toContain('Ferry will not replace it');
      // The tag still holds what it held, and nothing of the bundle was pushed.
      expect((await manifestAt(mirror, REPOSITORY, fallbackTag(app.manifest.digest))).digest).toBe(squatter.digest);
      expect((await manifestAt(mirror, REPOSITORY, 'v1')).status).toBe(404);
      expect((await manifestAt(mirror, REPOSITORY, signature.manifest.digest)).status).toBe(404);
    } finally {
      await mirror.stop();
    }
  });
});
