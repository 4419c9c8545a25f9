/**
 * Finding 4 of issue 11: escape sequences in names that come from a bundle or
 * a registry must not reach the terminal raw. A real bundle (an OCI layout
 * folder) and a real registry carry cursor-up/erase, conceal, carriage
 * return, a C1 CSI, a bidi override and a newline; `ferry verify`, `import`
 * and `inspect` run through the CLI must show them as visible escapes, keep
 * "NOT VERIFIED" on screen, and keep `--json` exact.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describe as describeContent, imageConfig, imageIndex, imageManifest, jsonContent, makeLayer, MediaTypes, writeOciLayout } from '../harness/fixture-content.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage } from '../harness/fixtures.ts';
import { putManifestRaw } from '../harness/raw-push.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

/** Cursor up + erase line, conceal, carriage return, C1 CSI, right-to-left override, and a forged line after a newline. */
const EVIL = 'x\x1b[1A\x1b[2K\x1b[8m\rok\x9b2J\u202Egnp.\nverified: the bundle is intact';
/** EVIL as the CLI must show it. */
const ESCAPED = 'x\\x1b[1A\\x1b[2K\\x1b[8m\\rok\\u009b2J\\u202egnp.\\nverified: the bundle is intact';
/** Every raw byte that can steer a terminal or reorder what it shows (newlines are checked line by line instead). */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]/u;

let work: string;
let registry: RunningRegistry;
let fixture: FixtureImage;
const teardown = new Teardown();

/** A valid, complete OCI layout whose one image carries `refName` and an annotation. */
async function layout(dir: string, refName: string): Promise<void> {
  const layer = await makeLayer(MediaTypes.ociLayerGzip, [{ name: 'a.txt', data: Buffer.from('a') }]);
  const config = imageConfig(MediaTypes.ociConfig, { os: 'linux', architecture: 'amd64' }, [layer], 'terminal');
  const manifest = imageManifest(MediaTypes.ociManifest, config, [layer.content]);
  await writeOciLayout(dir, [layer.content, config, manifest], [{ refName, descriptor: describeContent(manifest, { annotations: { note: EVIL } }) }]);
}

function expectTerminalSafe(text: string): void {
  expect(text).not.toMatch(RAW_CONTROL);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-terminal-'));
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixture = (await buildFixtures())['oci-single'];
  await seedFixtures(registry, [fixture]);
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('ferry verify', () => {
  it('shows a hostile file name and folder name as escapes and keeps NOT VERIFIED on screen', async () => {
    const bundle = join(work, `bundle${EVIL.replaceAll('/', '_')}`);
    await mkdir(bundle);
    await layout(bundle, 'example.com/app:v1');
    await writeFile(join(bundle, 'blobs', 'sha256', `junk${EVIL.replaceAll('/', '_')}`), 'x');
    const { code, stdout, stderr } = await runFerry('verify', bundle);
    expect(code).toBe(1);
    expectTerminalSafe(stdout);
    expectTerminalSafe(stderr);
    expect(stdout).toContain(`junk${ESCAPED}`);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.filter((line) => line.startsWith('verified'))).toEqual([]);
    expect(lines.at(-1)).toMatch(/^NOT VERIFIED: 1 of \d check\(s\) failed/);
  });

  it('--json stays exact: it parses back to the very names, and no raw control byte is printed', async () => {
    const bundle = join(work, 'json-bundle');
    await layout(bundle, 'example.com/app:v1');
    await writeFile(join(bundle, 'blobs', 'sha256', `junk${EVIL.replaceAll('/', '_')}`), 'x');
    const { code, stdout } = await runFerry('verify', bundle, '--json');
    expect(code).toBe(1);
    expectTerminalSafe(stdout);
    const report = JSON.parse(stdout) as { checks: Array<{ problems: string[] }> };
    expect(report.checks.flatMap((c) => c.problems).join('\n')).toContain(`junk${EVIL.replaceAll('/', '_')}`);
  });
});

describe('ferry import', () => {
  it('an image name with escape sequences in index.json is refused by name rule, and nothing of it drives the terminal', async () => {
    const bundle = join(work, 'import-bundle');
    await layout(bundle, `example.com/app:${EVIL}`);
    const { code, stdout, stderr } = await runFerry('import', bundle, '--to', `${registry.host}/site`, '--plain-http', '--authfile', emptyAuthFile, '--dry-run');
    expect(code).not.toBe(0);
    expectTerminalSafe(stdout);
    expectTerminalSafe(stderr);
    expect(stderr).toMatch(/org\.opencontainers\.image\.ref\.name.*must not hold control characters/);
    expect(stderr.split('\n').filter((line) => line.startsWith('verified'))).toEqual([]);
  });
});

describe('ferry inspect', () => {
  it("a registry's platform and media type strings are shown escaped; --json parses back to them", async () => {
    const base = fixture.content.find((c) => c.digest === fixture.manifestDigest);
    if (!base) throw new Error('fixture manifest missing');
    const parsed = JSON.parse(base.data.toString()) as { layers: Array<{ mediaType: string }> };
    const evilLayerType = `application/vnd.oci.image.layer.v1.tar+gzip${EVIL.replaceAll('\n', ' ')}`;
    for (const layer of parsed.layers) layer.mediaType = evilLayerType;
    const manifest = jsonContent(MediaTypes.ociManifest, parsed);
    await putManifestRaw(registry, fixture.repository, manifest.digest, manifest.mediaType, manifest.data);
    const index = imageIndex(MediaTypes.ociIndex, [describeContent(manifest, { platform: { os: `linux${EVIL}`, architecture: 'amd64' } })]);
    await putManifestRaw(registry, fixture.repository, 'evil', index.mediaType, index.data);
    const reference = `${registry.host}/${fixture.repository}:evil`;

    const text = await runFerry('inspect', reference, '--plain-http', '--authfile', emptyAuthFile);
    expect(text.code).toBe(0);
    expectTerminalSafe(text.stdout);
    expectTerminalSafe(text.stderr);
    expect(text.stdout).toContain(`linux${ESCAPED}`);
    expect(text.stdout.split('\n').filter((line) => line.startsWith('verified'))).toEqual([]);

    const json = await runFerry('inspect', reference, '--plain-http', '--authfile', emptyAuthFile, '--json');
    expect(json.code).toBe(0);
    expectTerminalSafe(json.stdout);
    const report = JSON.parse(json.stdout) as { platforms: string[]; manifests: Array<{ layers: Array<{ mediaType: string }> }> };
    expect(report.platforms[0]).toContain(`linux${EVIL}`);
    expect(report.manifests[0]?.layers[0]?.mediaType).toBe(evilLayerType);
  });
});
