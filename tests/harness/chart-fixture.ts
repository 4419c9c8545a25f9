/**
 * Helm charts built by the tests: a packaged chart (`<name>/Chart.yaml`,
 * `values.yaml`, `templates/…`, optional subcharts) as the gzip + tar bytes
 * `helm package` writes, a static chart repository (index.yaml + archives)
 * served on loopback, and a chart pushed to a registry the way `helm push`
 * lays it out.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { fetch } from 'undici';
import { putManifestRaw } from './raw-push.ts';
import type { RunningRegistry } from './registry.ts';

/** One file of a chart archive, by its path below the archive's root. */
export type ChartFileTree = Record<string, string | Buffer>;

/** A chart's files: the Chart.yaml text, the values.yaml text and any other files (templates, packed subcharts). */
export interface ChartSpec {
  name: string;
  version: string;
  chartYaml?: string;
  valuesYaml?: string;
  extra?: ChartFileTree;
}

/** Packs files into a tar.gz: every path as written, regular files, fixed times so the bytes repeat. */
export async function packTarGz(files: ChartFileTree): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const [name, content] of Object.entries(files)) {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    await new Promise<void>((resolve, reject) => pack.entry({ name, size: bytes.length, mtime: new Date(0), mode: 0o644 }, bytes, (error) => (error ? reject(error) : resolve())));
  }
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

/** A packaged chart's bytes, as `helm package` lays it out (everything under `<name>/`). */
export async function packChart(spec: ChartSpec): Promise<Buffer> {
  const chartYaml = spec.chartYaml ?? `apiVersion: v2\nname: ${spec.name}\nversion: ${spec.version}\ntype: application\n`;
  const files: ChartFileTree = { [`${spec.name}/Chart.yaml`]: chartYaml };
  if (spec.valuesYaml !== undefined) files[`${spec.name}/values.yaml`] = spec.valuesYaml;
  files[`${spec.name}/templates/deployment.yaml`] = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n';
  for (const [path, content] of Object.entries(spec.extra ?? {})) files[`${spec.name}/${path}`] = content;
  return packTarGz(files);
}

/** A chart repository's index.yaml, written by hand (as a repository could serve it) so tests control every field: `{ name: [{ version, urls, digest, … }] }`. */
export function chartIndex(entries: Record<string, Array<Record<string, unknown>>>): Buffer {
  const lines = ['apiVersion: v1', 'entries:'];
  for (const [name, versions] of Object.entries(entries)) {
    lines.push(`  ${name}:`);
    for (const v of versions) {
      lines.push(`  - name: ${name}`);
      for (const [k, value] of Object.entries(v)) lines.push(`    ${k}: ${JSON.stringify(value)}`);
    }
  }
  return Buffer.from(`${lines.join('\n')}\ngenerated: "2026-11-30T00:00:00Z"\n`);
}

/** sha256 hex of bytes, as a chart index writes it. */
export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A static HTTP server on 127.0.0.1 serving fixed paths; anything else is 404. Counts requests per path. */
export interface StaticServer {
  url: string;
  files: Map<string, { body: Buffer; status?: number; headers?: Record<string, string> }>;
  hits: Map<string, number>;
  close: () => Promise<void>;
}

/** Starts a static server for a chart repository's files (index.yaml, archives, redirects); over https with `tls` (a leaf certificate and key, PEM). */
export async function startStaticServer(tls?: { cert: string; key: string }): Promise<StaticServer> {
  const files: StaticServer['files'] = new Map();
  const hits = new Map<string, number>();
  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const file = files.get(path);
    if (!file) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(file.status ?? 200, { 'content-length': String(file.body.length), ...file.headers }).end(file.body);
  };
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    files,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Uploads one blob to an anonymous registry (POST, then PUT with the digest): harness code, not Ferry's client. */
async function putBlob(registry: RunningRegistry, repository: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  if (registry.mode !== 'anonymous') throw new Error('putBlob speaks only to an anonymous registry');
  const digest = `sha256:${sha256Hex(bytes)}`;
  const started = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  await started.arrayBuffer();
  const location = started.headers.get('location');
  if (started.status !== 202 || location === null) throw new Error(`POST blob upload to ${repository}: ${started.status}`);
  const url = new URL(location, registry.url);
  url.searchParams.set('digest', digest);
  const put = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  await put.arrayBuffer();
  if (put.status !== 201) throw new Error(`PUT blob ${digest} to ${repository}: ${put.status}`);
  return { digest, size: bytes.length };
}

/** Pushes a chart the way `helm push` does: the archive as the one layer, Chart.yaml as JSON in the config. Returns the manifest's digest. */
export async function pushOciChart(registry: RunningRegistry, repository: string, tag: string, archive: Buffer, config: Buffer): Promise<string> {
  const layer = await putBlob(registry, repository, archive);
  const configBlob = await putBlob(registry, repository, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: configBlob.digest, size: configBlob.size },
      layers: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: layer.digest, size: layer.size }],
      annotations: { 'org.opencontainers.image.title': repository.split('/').pop() ?? repository, 'org.opencontainers.image.version': tag },
    }),
  );
  await putManifestRaw(registry, repository, tag, 'application/vnd.oci.image.manifest.v1+json', manifest);
  return `sha256:${sha256Hex(manifest)}`;
}
