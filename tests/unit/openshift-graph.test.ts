/**
 * OpenShift update graphs (sources/openshift-graph.ts): a Cincinnati graph of
 * 4.15 and 4.16 releases with skip-level and conditional updates, read
 * strictly; range selection as oc-mirror picks a channel's versions; the
 * shortest upgrade path with its tie-break; and the graph fetched from an
 * update service served on loopback with the channel and arch asked for.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACCESS, Registries } from '../../src-main/oci/registry/registries.ts';
import { closeHttpConnections } from '../../src-main/sources/http-download.ts';
import { fetchUpdateGraph, parseUpdateGraph, shortestPath, versionsInRange, type GraphRelease, type UpdateGraph } from '../../src-main/sources/openshift-graph.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { failure } from '../harness/test-helpers.ts';

const digestOf = (version: string): string => `sha256:${createHash('sha256').update(version).digest('hex')}`;
const payloadOf = (version: string): string => `quay.io/openshift-release-dev/ocp-release@${digestOf(version)}`;

// Listed out of order on purpose: the service does not sort its nodes.
const VERSIONS = ['4.16.2', '4.15.10', '4.16.6', '4.15.12', '4.16.0', '4.15.18', '4.15.15', '4.16.4'];
const EDGES: Array<[string, string]> = [
  ['4.15.10', '4.15.12'],
  ['4.15.12', '4.15.15'],
  ['4.15.15', '4.15.18'],
  ['4.15.10', '4.15.18'], // skip-level within 4.15
  ['4.15.10', '4.15.15'],
  ['4.15.12', '4.15.18'],
  ['4.15.18', '4.16.2'],
  ['4.15.15', '4.16.0'],
  ['4.16.0', '4.16.2'],
  ['4.16.2', '4.16.4'],
  ['4.16.0', '4.16.4'], // skip-level within 4.16
  ['4.16.4', '4.16.6'],
];

function graphJson(edges: Array<[string, string]> = EDGES): string {
  return JSON.stringify({
    nodes: VERSIONS.map((version) => ({ version, payload: payloadOf(version), metadata: { 'io.openshift.upgrades.graph.release.channels': 'candidate-4.16,fast-4.16,stable-4.16' } })),
    edges: edges.map(([from, to]) => [VERSIONS.indexOf(from), VERSIONS.indexOf(to)]),
    conditionalEdges: [
      {
        edges: [{ from: '4.15.18', to: '4.16.6' }],
        risks: [{ url: 'https://issues.redhat.com/browse/OCPBUGS-1', name: 'AzureDefaultVMType', message: 'Azure clusters may…', matchingRules: [{ type: 'PromQL' }] }],
      },
    ],
  });
}

const versions = (releases: readonly GraphRelease[]): string[] => releases.map((release) => release.version.version);
let graph: UpdateGraph;
beforeAll(() => {
  graph = parseUpdateGraph(graphJson(), 'update graph stable-4.16/amd64');
});

describe('parseUpdateGraph', () => {
  it('reads nodes in version order with their payloads, and updates both plain and conditional', () => {
    expect(versions(graph.releases)).toEqual(['4.15.10', '4.15.12', '4.15.15', '4.15.18', '4.16.0', '4.16.2', '4.16.4', '4.16.6']);
    expect(graph.byVersion.get('4.16.4')?.payload).toBe(payloadOf('4.16.4'));
    expect(graph.updates.get('4.15.10')).toEqual(['4.15.12', '4.15.18', '4.15.15']);
    expect(graph.conditionalUpdates.get('4.15.18')).toEqual([{ to: '4.16.6', risks: ['AzureDefaultVMType'] }]);
  });

  it.each([
    ['duplicate key', '{"nodes":[],"edges":[],"edges":[]}', '$.edges'],
    ['not JSON', '{"nodes":[', '$'],
    ['payload by tag', JSON.stringify({ nodes: [{ version: '4.16.0', payload: 'quay.io/ocp-release:4.16.0' }], edges: [] }), '$.nodes[0].payload'],
    ['version not semver', JSON.stringify({ nodes: [{ version: 'four', payload: payloadOf('4') }], edges: [] }), '$.nodes[0].version'],
    ['edge past the nodes', JSON.stringify({ nodes: [{ version: '4.16.0', payload: payloadOf('4.16.0') }], edges: [[0, 3]] }), '$.edges[0][1]'],
    [
      'conditional edge to an unknown release',
      JSON.stringify({ nodes: [{ version: '4.16.0', payload: payloadOf('4.16.0') }], edges: [], conditionalEdges: [{ edges: [{ from: '4.16.0', to: '4.17.0' }], risks: [] }] }),
      '$.conditionalEdges[0].edges[0].to',
    ],
    ['edges missing', JSON.stringify({ nodes: [] }), '$.edges'],
  ])('refuses %s naming the graph and the path', (_name, body, path) => {
    let error: unknown;
    try {
      parseUpdateGraph(body, 'update graph stable-4.16/amd64');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FerryError);
    const ferry = error as FerryError;
    expect(ferry.code).toBe('INVALID_CONTENT');
    expect(ferry.message).toContain('update graph stable-4.16/amd64');
    expect(ferry.details?.path).toBe(path);
  });
});

describe('versionsInRange', () => {
  it('takes every release between min and max inclusive', () => {
    expect(versions(versionsInRange(graph, { minVersion: '4.15.15', maxVersion: '4.16.2' }))).toEqual(['4.15.15', '4.15.18', '4.16.0', '4.16.2']);
  });
  it('defaults max to the newest release and min to the lowest', () => {
    expect(versions(versionsInRange(graph, { minVersion: '4.16.1' }))).toEqual(['4.16.2', '4.16.4', '4.16.6']);
    expect(versions(versionsInRange(graph, { maxVersion: '4.15.12' }))).toEqual(['4.15.10', '4.15.12']);
    expect(versionsInRange(graph, { full: true })).toHaveLength(8);
  });
  it('takes only the newest release without bounds or full', () => {
    expect(versions(versionsInRange(graph, {}))).toEqual(['4.16.6']);
  });
  it('refuses min above max, bad versions and an empty range by name', () => {
    expect(() => versionsInRange(graph, { minVersion: '4.16.4', maxVersion: '4.16.0' })).toThrow(/minVersion 4\.16\.4 is above maxVersion 4\.16\.0/);
    expect(() => versionsInRange(graph, { minVersion: '4.16' })).toThrow(/minVersion "4\.16" is not a semantic version/);
    expect(() => versionsInRange(graph, { minVersion: '4.17.0' })).toThrow(/no release between 4\.17\.0 and the newest/);
  });
});

describe('shortestPath', () => {
  it('walks the fewest updates, through skip-levels, without conditional updates by default', () => {
    expect(versions(shortestPath(graph, '4.15.10', '4.16.6'))).toEqual(['4.15.10', '4.15.18', '4.16.2', '4.16.4', '4.16.6']);
  });
  it('takes a conditional update when asked', () => {
    expect(versions(shortestPath(graph, '4.15.10', '4.16.6', { conditional: true }))).toEqual(['4.15.10', '4.15.18', '4.16.6']);
  });
  it('breaks ties towards the highest versions whatever the order of the edges', () => {
    const reversed = parseUpdateGraph(graphJson([...EDGES].reverse()), 'reversed');
    for (const g of [graph, reversed]) expect(versions(shortestPath(g, '4.15.10', '4.16.4'))).toEqual(['4.15.10', '4.15.18', '4.16.2', '4.16.4']);
  });
  it('is the release alone when from and to are the same', () => {
    expect(versions(shortestPath(graph, '4.16.0', '4.16.0'))).toEqual(['4.16.0']);
  });
  it('refuses when no path exists, naming both versions', () => {
    expect(() => shortestPath(graph, '4.16.6', '4.15.10')).toThrow(/no upgrade path from 4\.16\.6 to 4\.15\.10/);
    expect(() => shortestPath(graph, '4.15.10', '4.17.0')).toThrow(/to 4\.17\.0 is not a release of the channel/);
  });
});

describe('fetchUpdateGraph', () => {
  let server: Server;
  let base: string;
  const requests: Array<{ url: string; accept: string | undefined }> = [];
  const registries = new Registries(DEFAULT_ACCESS);
  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      requests.push({ url: request.url ?? '', accept: request.headers.accept });
      const url = new URL(request.url ?? '/', 'http://loopback');
      if (url.pathname !== '/api/upgrades_info/graph') return void response.writeHead(404).end();
      const body = url.searchParams.get('channel') === 'broken-4.16' ? '{"nodes":[],"edges":[],"nodes":[]}' : graphJson();
      response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/upgrades_info/graph`;
  });
  afterAll(async () => {
    await closeHttpConnections(registries);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('asks the service for the channel and architecture, as JSON', async () => {
    const fetched = await fetchUpdateGraph(base, 'stable-4.16', 'amd64', { registries });
    expect(versions(fetched.releases)).toHaveLength(8);
    expect(fetched.subject).toContain('stable-4.16/amd64');
    const request = requests.at(-1);
    expect(request?.accept).toBe('application/json');
    const asked = new URL(request?.url ?? '', 'http://loopback').searchParams;
    expect([asked.get('channel'), asked.get('arch')]).toEqual(['stable-4.16', 'amd64']);
  });

  it('refuses a malformed graph naming the channel and path', async () => {
    const error = await failure(fetchUpdateGraph(base, 'broken-4.16', 'arm64', { registries }));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain('update graph broken-4.16/arm64');
    expect(error.details?.path).toBe('$.nodes');
  });

  it('refuses a service URL that is not http(s)', async () => {
    expect((await failure(fetchUpdateGraph('file:///etc/graph', 'stable-4.16', 'amd64', { registries }))).code).toBe('INVALID_ARGUMENT');
  });
});
