/**
 * The sample flow (issue 17): the generated sample images are real and
 * stable (digests right, configs naming their layers' diff_ids, a valid
 * two-platform index), the demo's registries serve them as skopeo — the
 * independent tool — reads them, and `ferry demo --keep` walks the whole
 * story to a target registry skopeo then finds the images in, by digest.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runSkopeo } from '../harness/skopeo.ts';
import { buildSampleImages, type SampleImage } from '../../src-main/sources/sample-images.ts';
import { startDemo } from '../../src-main/usecases/demo.ts';
import { createService } from '../../src-main/service.ts';

const FERRY_BIN = new URL('../../src-main/cli/bin.mjs', import.meta.url).pathname;
const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const folders: string[] = [];
async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'ferry-demo-test-'));
  folders.push(folder);
  return folder;
}
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

/** skopeo inspect --raw over plain HTTP: the manifest bytes the registry serves. */
const rawManifest = (reference: string): Promise<Buffer> => runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reference}`]);

describe('the sample images', () => {
  it('are the same bytes every time, each blob and manifest hashing to its digest, each config naming its layers', async () => {
    const [first, second] = await Promise.all([buildSampleImages(), buildSampleImages()]);
    expect(first.map((image) => image.digest)).toEqual(second.map((image) => image.digest));
    expect(first.map((image) => `${image.repository}:${image.tag}`)).toEqual(['samples/hello:1.0', 'samples/tools:1.0', 'samples/docs:1.0']);
    for (const image of first) {
      for (const content of [...image.blobs, ...image.manifests]) {
        expect(sha256(content.bytes)).toBe(content.digest);
        expect(content.bytes.length).toBe(content.size);
      }
      expect(image.manifests.at(-1)?.digest).toBe(image.digest);
      for (const manifest of image.manifests.filter((m) => m.mediaType === 'application/vnd.oci.image.manifest.v1+json')) {
        const parsed = JSON.parse(manifest.bytes.toString('utf8')) as { config: { digest: string }; layers: Array<{ digest: string }> };
        const blob = (digest: string): Buffer => {
          const found = image.blobs.find((b) => b.digest === digest);
          if (!found) throw new Error(`${image.repository}: ${digest} is not among its blobs`);
          return found.bytes;
        };
        const config = JSON.parse(blob(parsed.config.digest).toString('utf8')) as { rootfs: { diff_ids: string[] } };
        expect(config.rootfs.diff_ids).toEqual(parsed.layers.map((layer) => sha256(gunzipSync(blob(layer.digest)))));
      }
    }
    const hello = first[0] as SampleImage;
    const index = JSON.parse((hello.manifests.at(-1) as { bytes: Buffer }).bytes.toString('utf8')) as { manifests: Array<{ platform: { os: string; architecture: string } }> };
    expect(index.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`)).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it('are served by the demo source registry as skopeo reads them: every digest, and each platform of the index', async () => {
    const folder = await tempFolder();
    const session = await startDemo({ folder });
    try {
      expect(session.state.source.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(session.state.target.address).not.toBe(session.state.source.address);
      for (const image of session.state.images) expect(sha256(await rawManifest(image.reference))).toBe(image.digest);
      // A second sample flow in the same folder is refused while this one serves from it, and this one keeps serving.
      await expect(startDemo({ folder })).rejects.toThrow(/in use by another Ferry/);
      const hello = session.state.images[0]?.reference ?? '';
      for (const arch of ['amd64', 'arm64']) {
        // skopeo picks the platform's manifest from the index and reads its config, checking both digests.
        const inspected = JSON.parse((await runSkopeo(['inspect', '--tls-verify=false', '--override-os', 'linux', '--override-arch', arch, `docker://${hello}`])).toString('utf8')) as {
          Architecture: string;
          Layers: string[];
        };
        expect(inspected.Architecture).toBe(arch);
        expect(inspected.Layers).toHaveLength(2);
      }
    } finally {
      await session.close();
    }
  });
});

/** Runs `ferry demo --keep` until it says the registries keep running; answers its output so far and a stop function resolving to the exit code. */
function startFerryDemo(folder: string): Promise<{ output: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [FERRY_BIN, 'demo', '--keep', '--folder', folder, '--catalog', join(folder, 'catalog.sqlite')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('Press Ctrl-C to stop them.')) {
        clearInterval(timer);
        resolve({
          output,
          stop: async () => {
            child.kill('SIGINT');
            return exited;
          },
        });
      }
    }, 100);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`ferry demo exited (${code}) before its registries were kept running:\n${output}`));
    });
  });
}

describe('ferry demo', () => {
  it('walks export, verify, inspect, import and mirror configuration; the target registry holds every sample by digest', async () => {
    const folder = await tempFolder();
    const demo = await startFerryDemo(folder);
    let code: number | null = null;
    try {
      for (const heading of ['1. Export', '2. Verify', '3. Inspect', '4. Import', '5. Mirror configuration']) expect(demo.output).toContain(heading);
      const target = /target registry \(the disconnected side\) at http:\/\/(127\.0\.0\.1:\d+)/.exec(demo.output)?.[1];
      expect(target).toBeDefined();
      const samples = await buildSampleImages();
      for (const image of samples) {
        const reference = `${target ?? ''}/${image.repository}@${image.digest}`;
        expect(sha256(await rawManifest(reference))).toBe(image.digest);
      }
      // The mirror configuration sends pulls of the source to the target.
      const conf = await readFile(join(folder, 'mirror-config', 'registries.conf.d', '99-ferry-mirror.conf'), 'utf8');
      expect(conf).toContain(`location = "${target ?? ''}/samples/hello"`);
    } finally {
      code = await demo.stop();
    }
    expect(code).toBe(0);
  });
});

describe('demo:start, demo:status and demo:stop', () => {
  it('keeps one sample flow per service in demo/ beside the catalog, and stops its registries on demo:stop and when the service closes', async () => {
    const folder = await tempFolder();
    const service = createService({ mode: 'browser', catalogPath: join(folder, 'catalog.sqlite'), autoStartRegistry: false });
    try {
      expect(await service['demo:status']({})).toEqual({ running: false });
      const first = (await service['demo:start']({})).demo;
      expect(first?.drive).toBe(join(folder, 'demo', 'usb-drive'));
      expect(first?.images.map((image) => image.reference)).toEqual(['hello', 'tools', 'docs'].map((name) => `${first?.source.address ?? ''}/samples/${name}:1.0`));
      // Starting again replaces the running flow: the first source registry stops.
      const second = (await service['demo:start']({})).demo;
      expect((await service['demo:status']({})).demo).toEqual(second);
      await expect(rawManifest(first?.images[0]?.reference ?? '')).rejects.toThrow();
      expect(sha256(await rawManifest(second?.images[0]?.reference ?? ''))).toBe(second?.images[0]?.digest);
      expect(await service['demo:stop']({})).toEqual({ stopped: true });
      await expect(rawManifest(second?.images[0]?.reference ?? '')).rejects.toThrow();
      expect(await service['demo:stop']({})).toEqual({ stopped: false });
      const third = (await service['demo:start']({})).demo;
      await service.close();
      await expect(rawManifest(third?.images[0]?.reference ?? '')).rejects.toThrow();
    } finally {
      await service.close();
    }
  });
});
