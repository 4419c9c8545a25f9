/**
 * A loopback OpenShift update service (Cincinnati `GET /graph?channel=…&arch=…`)
 * and release signature store (`/signatures/sha256=<hex>/signature-<n>`) in
 * front of the OpenShift fixture: the graphs name the fixture's release images
 * by digest, so a channel resolves to releases that really are in the
 * registry. Graphs and signatures are plain maps a test may change.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OpenShiftFixture } from './openshift-fixture.ts';

/** A graph body as the service answers it. */
export interface GraphBody {
  nodes: Array<{ version: string; payload: string; metadata: Record<string, string> }>;
  edges: Array<[number, number]>;
  conditionalEdges: Array<{ edges: Array<{ from: string; to: string }>; risks: Array<{ name: string; url: string; message: string }> }>;
}

/** The running services: their URLs, what they serve and what was asked. */
export interface ReleaseServices {
  /** The graph endpoint, as `--update-service` takes it. */
  updateService: string;
  /** The store's base URL, as `--signature-store` takes it. */
  signatureStore: string;
  /** `<channel>/<arch>` → graph; other channels answer an empty graph, as the public service does. */
  graphs: Map<string, GraphBody>;
  /** `sha256=<hex>/signature-<n>` → signature bytes. */
  signatures: Map<string, Buffer>;
  /** Every request, `path?query`, in order. */
  requests: string[];
  /** The status a signature the store does not hold is answered with (404 unless a test sets another, as a CDN answering 403 does). */
  missingStatus: number;
  /** `sha256=<hex>/signature-<n>` → a status answered instead of the file (a store failing on one file). */
  failures: Map<string, number>;
  close: () => Promise<void>;
}

/** One channel of the fixture graph: `<version>-<arch>` keys of its releases, and updates between versions. */
interface ChannelSpec {
  key: string;
  releases: string[];
  edges: Array<[string, string]>;
  conditional?: Array<[string, string]>;
}

const OKD_OLD = '4.15.0-0.okd-2024-03-10-010116';
const OKD_NEW = '4.16.0-0.okd-2024-08-01-000000';

/**
 * The fixture's channels. stable-4.16 (amd64) is shaped so that paths differ:
 * 4.16.0 → 4.16.12 is shortest through 4.16.2 (the conditional 4.16.0 → 4.16.12
 * must not count), and 4.15.2 → 4.16.12 ties between three-hop paths, won by
 * the one through the highest versions (4.16.1, 4.16.3).
 */
export const FIXTURE_CHANNELS: readonly ChannelSpec[] = [
  { key: 'stable-4.15/amd64', releases: ['4.15.1-x86_64', '4.15.2-x86_64'], edges: [['4.15.1', '4.15.2']] },
  {
    key: 'stable-4.16/amd64',
    releases: ['4.16.3-x86_64', '4.15.2-x86_64', '4.16.12-x86_64', '4.16.0-x86_64', '4.16.2-x86_64', '4.16.1-x86_64'],
    edges: [
      ['4.15.2', '4.16.0'],
      ['4.15.2', '4.16.1'],
      ['4.16.0', '4.16.1'],
      ['4.16.0', '4.16.2'],
      ['4.16.1', '4.16.2'],
      ['4.16.1', '4.16.3'],
      ['4.16.2', '4.16.3'],
      ['4.16.2', '4.16.12'],
      ['4.16.3', '4.16.12'],
    ],
    conditional: [['4.16.0', '4.16.12']],
  },
  { key: 'stable-4.16/arm64', releases: ['4.16.2-aarch64', '4.16.3-aarch64'], edges: [['4.16.2', '4.16.3']] },
  { key: 'stable-4/amd64', releases: [`${OKD_OLD}-x86_64`, `${OKD_NEW}-x86_64`], edges: [[OKD_OLD, OKD_NEW]] },
];

function payloadOf(fixture: OpenShiftFixture, key: string): { version: string; payload: string } {
  const release = fixture.releases.get(key);
  if (!release) throw new Error(`the fixture has no release ${key}`);
  return { version: release.spec.version, payload: `${fixture.host}/${release.image.repository}@${release.image.manifest.digest}` };
}

/** The fixture's graphs by `<channel>/<arch>`, node order as listed (not sorted: readers must not depend on it). */
export function fixtureGraphs(fixture: OpenShiftFixture): Map<string, GraphBody> {
  const graphs = new Map<string, GraphBody>();
  for (const channel of FIXTURE_CHANNELS) {
    const nodes = channel.releases.map((key) => ({ ...payloadOf(fixture, key), metadata: { 'io.openshift.upgrades.graph.release.channels': channel.key.split('/')[0] ?? '' } }));
    const index = (version: string): number => {
      const at = nodes.findIndex((node) => node.version === version);
      if (at < 0) throw new Error(`${channel.key}: no node ${version}`);
      return at;
    };
    graphs.set(channel.key, {
      nodes,
      edges: channel.edges.map(([from, to]): [number, number] => [index(from), index(to)]),
      conditionalEdges: (channel.conditional ?? []).map(([from, to]) => ({
        edges: [{ from, to }],
        risks: [{ name: 'FixtureRisk', url: 'https://example.com/risk', message: 'a known issue' }],
      })),
    });
  }
  return graphs;
}

/** The signature files of the fixture: one per release, two for RELEASE_VERSION (the store may hold several). */
export function fixtureSignatures(fixture: OpenShiftFixture): Map<string, Buffer> {
  const signatures = new Map<string, Buffer>();
  for (const [key, release] of fixture.releases) {
    const hex = release.image.manifest.digest.replace('sha256:', '');
    signatures.set(`sha256=${hex}/signature-1`, Buffer.from(`fixture signature 1 of ${key}\n`));
    if (release.image === fixture.release) signatures.set(`sha256=${hex}/signature-2`, Buffer.from(`fixture signature 2 of ${key}\n`));
  }
  return signatures;
}

/** Starts the update service and signature store on 127.0.0.1 for `fixture`. */
export async function startReleaseServices(fixture: OpenShiftFixture): Promise<ReleaseServices> {
  const graphs = fixtureGraphs(fixture);
  const signatures = fixtureSignatures(fixture);
  const requests: string[] = [];
  const failures = new Map<string, number>();
  let missingStatus = 404;
  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    requests.push(`${url.pathname}${url.search}`);
    if (url.pathname === '/graph') {
      const graph = graphs.get(`${url.searchParams.get('channel') ?? ''}/${url.searchParams.get('arch') ?? ''}`) ?? { nodes: [], edges: [], conditionalEdges: [] };
      const body = Buffer.from(JSON.stringify(graph));
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) }).end(body);
      return;
    }
    if (url.pathname.startsWith('/signatures/')) {
      const key = url.pathname.slice('/signatures/'.length);
      const failure = failures.get(key);
      const signature = signatures.get(key);
      if (failure !== undefined) response.writeHead(failure).end('failed');
      else if (signature) response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(signature.length) }).end(signature);
      else response.writeHead(missingStatus).end('no such signature');
      return;
    }
    response.writeHead(404).end('not found');
  };
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    updateService: `${base}/graph`,
    signatureStore: `${base}/signatures`,
    graphs,
    signatures,
    requests,
    get missingStatus() {
      return missingStatus;
    },
    set missingStatus(status: number) {
      missingStatus = status;
    },
    failures,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
