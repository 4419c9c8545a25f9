/**
 * Row 5: media that changes after verification. The import's test hook
 * (`ImportRequest.onVerified`, awaited after verification passed and before
 * anything is planned or written) swaps files of bundle A for those of bundle
 * B, as a device or FUSE mount that changes its files could. Nothing of B,
 * which was never verified, may reach the registry: no repository, tag,
 * manifest or blob of it.
 */
import { cp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { importBundle, type ImportRequest } from '../../src-main/transfer/import.ts';
import { registriesFor } from '../harness/ferry-access.ts';
import type { FixtureImage, FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { runFerryProcess, tailOf } from './ferry-process.ts';
import type { RowResult } from './report.ts';
import type { RowContext } from './row-context.ts';

/** The hook as this row calls it; typed here so the row compiles before and after the hook lands. */
type WithHook = ImportRequest & { onVerified: (view: unknown) => Promise<void> };

interface Swap {
  form: 'directory' | 'archive';
  what: string;
  /** Files of B copied over A's (none: every file). */
  files?: (names: string[]) => string[];
}

const SWAPS: Swap[] = [
  { form: 'directory', what: 'every file' },
  { form: 'directory', what: 'index.json', files: () => ['index.json'] },
  { form: 'directory', what: 'ferry.json', files: () => ['ferry.json'] },
  { form: 'archive', what: 'every file' },
  { form: 'archive', what: 'ferry.json', files: () => ['ferry.json'] },
  { form: 'archive', what: 'the parts', files: (names) => names.filter((n) => n.startsWith('part-')) },
];

async function exists(url: string): Promise<boolean> {
  return (await fetch(url, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } })).status === 200;
}

/** What of bundle B is in the registry under `prefix`: repositories, manifests and blobs, in words. */
async function traces(registry: RunningRegistry, prefix: string, a: FixtureImage, b: FixtureImage): Promise<string[]> {
  const listing = (await (await fetch(`${registry.url}/v2/_catalog?n=1000`)).json()) as { repositories?: string[] };
  const repositories = (listing.repositories ?? []).filter((r) => r.startsWith(`${prefix}/`));
  const found: string[] = [];
  const aDigests = new Set([a.manifestDigest, ...a.blobs.map((x) => x.digest), ...a.manifests.map((m) => m.digest)]);
  for (const repository of repositories) {
    if (repository !== `${prefix}/${a.repository}`) found.push(`repository ${repository}`);
    if (await exists(`${registry.url}/v2/${repository}/manifests/${b.manifestDigest}`)) found.push(`${repository}@${b.manifestDigest.slice(0, 19)}…`);
    for (const blob of b.blobs)
      if (!aDigests.has(blob.digest) && (await exists(`${registry.url}/v2/${repository}/blobs/${blob.digest}`))) found.push(`blob ${blob.digest.slice(0, 19)}… in ${repository}`);
    const tags = (await (await fetch(`${registry.url}/v2/${repository}/tags/list`)).json()) as { tags?: string[] | null };
    for (const tag of tags.tags ?? []) {
      const head = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, {
        method: 'HEAD',
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
      });
      const digest = head.headers.get('docker-content-digest') ?? '';
      if (!aDigests.has(digest)) found.push(`${repository}:${tag} → ${digest.slice(0, 19)}…`);
    }
  }
  return found;
}

/** Runs row 5: A is oci-single, B is docker-schema2, both exported from the run's source registry. */
export async function runMediaSwap(ctx: RowContext, source: RunningRegistry, fixtures: Record<FixtureName, FixtureImage>, authFile: string): Promise<RowResult> {
  const started = Date.now();
  const a = fixtures['oci-single'];
  const b = fixtures['docker-schema2'];
  const bundles: Record<string, string> = {};
  for (const form of ['directory', 'archive'] as const) {
    for (const [key, fixture] of [
      ['a', a],
      ['b', b],
    ] as const) {
      const dir = join(ctx.work, `swap-${form}-${key}`);
      const made = await runFerryProcess(
        ['export', '--to', dir, `${source.host}/${fixture.repository}:${fixture.tag}`, '--plain-http', '--authfile', authFile, ...(form === 'archive' ? ['--archive'] : [])],
        {
          env: ctx.env,
          timeoutMs: 120_000,
        },
      );
      if (made.code !== 0) throw new Error(`export for the media row failed: ${tailOf(made.stderr)}`);
      bundles[`${form}-${key}`] = dir;
    }
  }
  const target = await startRegistry({ mode: 'anonymous' });
  const registries = registriesFor(target);
  const lines: string[] = [];
  let pushedUnverified = 0;
  let hookMissing = 0;
  try {
    for (const [i, swap] of SWAPS.entries()) {
      const dir = join(ctx.work, `swap-case-${i}`);
      const fromA = bundles[`${swap.form}-a`] ?? '';
      const fromB = bundles[`${swap.form}-b`] ?? '';
      await cp(fromA, dir, { recursive: true });
      const hook = { ran: false };
      const request: WithHook = {
        bundle: dir,
        target: { registry: target.host, prefix: `swap-${i}`, keepRegistryHost: false },
        onVerified: async () => {
          hook.ran = true;
          const names = await readdir(fromB);
          const chosen = swap.files ? swap.files(names) : names;
          if (!swap.files) for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
          for (const name of chosen) await cp(join(fromB, name), join(dir, name), { recursive: true, force: true });
        },
      };
      const outcome = await importBundle(request, registries).then(
        () => 'import finished',
        (error: unknown) => `import refused: ${error instanceof Error ? error.message.slice(0, 120) : String(error)}`,
      );
      const found = await traces(target, `swap-${i}`, a, b);
      if (!hook.ran) hookMissing += 1;
      if (found.length > 0) pushedUnverified += 1;
      lines.push(`| ${swap.form} | ${swap.what} | ${hook.ran ? 'yes' : '**no**'} | ${outcome.replace(/\|/g, '\\|')} | ${found.length === 0 ? 'nothing' : `**${found.slice(0, 4).join(', ')}**`} |`);
      await rm(dir, { recursive: true, force: true });
    }
  } finally {
    await registries.close();
    await target.stop();
  }
  return {
    test: 'Media that changes after verification',
    n: SWAPS.length,
    seconds: (Date.now() - started) / 1000,
    musts: [
      {
        must: 'nothing unverified is pushed',
        ok: pushedUnverified === 0 && hookMissing === 0,
        detail:
          hookMissing > 0
            ? `the test hook (ImportRequest.onVerified) did not run in ${hookMissing} of ${SWAPS.length} imports, so the swap was not tested there; ${pushedUnverified} pushed unverified content`
            : `${pushedUnverified} of ${SWAPS.length} imports pushed something of the swapped-in bundle`,
      },
    ],
    figures: [`${SWAPS.length} swaps (directory: every file, index.json, ferry.json; archive: every file, ferry.json, the parts), in-process import with the test hook`],
    details: [
      "Bundle A (oci-single) is verified; the hook then copies bundle B (docker-schema2) over it. The registry is then searched for anything of B: a repository other than A's, B's manifest or its blobs, or a tag that resolves to anything but A's manifests.",
      'An import that finishes (pushing only what it verified) or refuses both keep the must.',
      '',
      '| Form | Swapped after verification | Hook ran | Outcome | Of the unverified bundle in the registry |',
      '|---|---|---|---|---|',
      ...lines,
    ],
  };
}
