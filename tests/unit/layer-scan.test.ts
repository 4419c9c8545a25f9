import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MemoryBlobSource, verifiedContent } from '../../src-main/oci/blob-io.ts';
import { sha256Digest } from '../../src-main/oci/digest.ts';
import { ImageLayers, sourceLayerReader } from '../../src-main/oci/image-files.ts';
import { isTarLayer, MAX_LAYER_NAME_BYTES, scanLayer, type LayerBlob } from '../../src-main/oci/layer-scan.ts';
import { tarOf } from '../harness/fixture-content.ts';
import { failure } from '../harness/test-helpers.ts';

const TAR = 'application/vnd.oci.image.layer.v1.tar';
const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

function layer(bytes: Buffer, mediaType: string, annotations?: Record<string, string>): { blob: LayerBlob; bytes: Buffer } {
  return { blob: { digest: sha256Digest(bytes), size: bytes.length, mediaType, ...(annotations ? { annotations } : {}) }, bytes };
}

/** Scans a layer from memory through the same digest check a store applies. */
function scan(held: { blob: LayerBlob; bytes: Buffer }, served: Buffer = held.bytes) {
  const source = new MemoryBlobSource(new Map([[held.blob.digest, served]]));
  return scanLayer(held.blob, () => verifiedContent(held.blob, source).from(0), 'test layer');
}

describe('scanLayer', () => {
  it('knows tar layers by media type, Docker and foreign ones included', () => {
    for (const type of [
      TAR,
      GZIP,
      'application/vnd.oci.image.layer.v1.tar+zstd',
      'application/vnd.docker.image.rootfs.diff.tar.gzip',
      'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
      'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
    ]) {
      expect(isTarLayer(type)).toBe(true);
    }
    expect(isTarLayer('application/vnd.oci.image.config.v1+json')).toBe(false);
    expect(isTarLayer('application/vnd.cncf.helm.chart.provenance.v1.prov')).toBe(false);
  });

  it('reads the entries of a gzip layer whatever its media type says, whiteouts and opaque markers as their own kinds', async () => {
    const tar = await tarOf([
      { name: './etc/', type: 'directory' },
      { name: './etc/.wh.passwd' },
      { name: 'var/.wh..wh..opq' },
      { name: 'a', data: Buffer.from('xyz') },
      { name: 'l', type: 'symlink', linkname: 'a' },
    ]);
    const entries = await scan(layer(gzipSync(tar), TAR));
    expect(entries.map((e) => (e.kind === 'entry' ? `${e.type}:${e.path}:${e.size}${e.linkTarget ? `>${e.linkTarget}` : ''}` : `${e.kind}:${e.path}`))).toEqual([
      'dir:etc:0',
      'whiteout:etc/passwd',
      'opaque:var',
      'file:a:3',
      'symlink:l:0>a',
    ]);
  });

  it('refuses a layer whose entry names add up to more than the cap, however few entries it has', async () => {
    // One entry with a 3 MiB pax path (tar-stream reads pax headers up to 4 MiB), repeated past the cap, then the end-of-archive blocks.
    const long = 3 * 1024 * 1024;
    const one = await tarOf([{ name: `d/${'n'.repeat(long)}` }]);
    const entry = one.subarray(0, one.length - 1024);
    const tar = Buffer.concat([...Array.from({ length: Math.floor(MAX_LAYER_NAME_BYTES / long) + 1 }, () => entry), Buffer.alloc(1024)]);
    const error = await failure(scan(layer(gzipSync(tar, { level: 1 }), GZIP)));
    expect([error.code, error.message]).toEqual(['UNSUPPORTED_MEDIA_TYPE', `test layer: the layer's entry names take more than ${MAX_LAYER_NAME_BYTES} bytes`]);
  });

  it('refuses zstd by name and fails an altered layer with DIGEST_MISMATCH, not a tar error', async () => {
    const zstd = layer(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]), 'application/vnd.oci.image.layer.v1.tar+zstd');
    expect((await failure(scan(zstd))).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const good = layer(gzipSync(await tarOf([{ name: 'a', data: Buffer.alloc(50_000, 1) }])), GZIP);
    const bad = Buffer.from(good.bytes);
    bad[20] = (bad[20] ?? 0) ^ 0xff;
    expect((await failure(scan(good, bad))).code).toBe('DIGEST_MISMATCH');
  });

  it('shows a layer that is one file (an artifact) under its title, and reads it', async () => {
    const file = layer(Buffer.from('apiVersion: v2\n'), 'application/vnd.example.file', { 'org.opencontainers.image.title': 'Chart.yaml' });
    expect(await scan(file)).toEqual([{ kind: 'entry', path: 'Chart.yaml', type: 'file', size: 15, mode: 0o644 }]);
    const layers = new ImageLayers([file.blob], sourceLayerReader(new MemoryBlobSource(new Map([[file.blob.digest, file.bytes]]))), 'artifact');
    const chunks: Buffer[] = [];
    expect(await layers.readFile('Chart.yaml', (chunk) => void chunks.push(chunk))).toEqual({ path: 'Chart.yaml', size: 15 });
    expect(Buffer.concat(chunks).toString()).toBe('apiVersion: v2\n');
  });

  it('follows a hard link to the file it names', async () => {
    const one = layer(
      await tarOf([
        { name: 'bin/real', data: Buffer.from('binary') },
        { name: 'bin/alias', type: 'link', linkname: 'bin/real' },
      ]),
      TAR,
    );
    const layers = new ImageLayers([one.blob], sourceLayerReader(new MemoryBlobSource(new Map([[one.blob.digest, one.bytes]]))), 'image');
    const chunks: Buffer[] = [];
    expect(await layers.readFile('/bin/alias', (chunk) => void chunks.push(chunk))).toEqual({ path: 'bin/real', size: 6 });
    expect(Buffer.concat(chunks).toString()).toBe('binary');
    expect((await layers.tree()).map((e) => `${e.type}:${e.path}`)).toEqual(['dir:bin', 'hardlink:bin/alias', 'file:bin/real']);
  });
});
