/**
 * Row 4: registry faults injected by the fault proxy (tests/harness) during
 * `ferry copy`, `ferry export` and `ferry import` against real registries with
 * TLS and htpasswd behind the proxies: 429 with Retry-After, 500 and 503, a
 * connection reset mid-body, a slow body and a redirect of blob downloads to
 * a second host. Every job must complete with the digests a fault-free run
 * gives, and no request to the second host may carry Authorization.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../harness/fault-proxy.ts';
import { seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry } from '../harness/registry.ts';
import { bundleDifferences, contentDifferences, fingerprintBundle, registryContent } from './compare.ts';
import { runFerryProcess, tailOf } from './ferry-process.ts';
import type { RowResult } from './report.ts';
import type { RowContext } from './row-context.ts';

const JOB_TIMEOUT_MS = 120_000;
const FAULT_IMAGES: FixtureName[] = ['big-layers', 'oci-single'];

/** One fault scenario: the rules armed on the proxy the job reads from (copy, export) or writes to (import). */
interface Scenario {
  fault: string;
  rules: (bigLayer: string) => FaultRule[];
}

const BLOB_GET = /\/blobs\/sha256:/;
/** Faults on the side Ferry downloads from. */
const DOWNLOAD_FAULTS: Scenario[] = [
  { fault: '429 with Retry-After: 1', rules: () => [{ method: 'GET', path: /\/manifests\//, times: 1, fault: { kind: 'status', status: 429, retryAfter: '1' } }] },
  {
    fault: '500 then 503',
    rules: () => [
      { method: 'GET', path: BLOB_GET, times: 1, fault: { kind: 'status', status: 500 } },
      { method: 'GET', path: BLOB_GET, times: 1, fault: { kind: 'status', status: 503 } },
    ],
  },
  { fault: 'reset mid-body (after 512 KiB)', rules: (big) => [{ method: 'GET', path: new RegExp(`/blobs/${big}$`), times: 1, fault: { kind: 'reset-mid-body', afterBytes: 512 * 1024 } }] },
  { fault: 'slow body (one upstream chunk per 100 ms)', rules: (big) => [{ method: 'GET', path: new RegExp(`/blobs/${big}$`), times: 1, fault: { kind: 'slow-body', bytesPerSecond: 1_000_000 } }] },
  { fault: 'cross-host redirect of blob downloads', rules: () => [{ method: 'GET', path: BLOB_GET, times: 3, fault: { kind: 'redirect', to: 'second-host' } }] },
];
/** Faults on the side Ferry uploads to (an import downloads no blob, so slow bodies and redirects have nothing to act on). */
const UPLOAD_FAULTS: Scenario[] = [
  { fault: '429 with Retry-After: 1', rules: () => [{ method: 'POST', path: /\/blobs\/uploads\/$/, times: 1, fault: { kind: 'status', status: 429, retryAfter: '1' } }] },
  {
    fault: '500 then 503',
    rules: () => [
      { method: 'PUT', path: /\/blobs\/uploads\//, times: 1, fault: { kind: 'status', status: 500 } },
      { method: 'PUT', path: /\/manifests\//, times: 1, fault: { kind: 'status', status: 503 } },
    ],
  },
  { fault: 'reset after the registry stored the upload', rules: () => [{ method: 'PUT', path: /\/blobs\/uploads\//, times: 1, fault: { kind: 'reset-mid-body', afterBytes: 0 } }] },
];

interface JobOutcome {
  job: string;
  fault: string;
  completed: boolean;
  identical: boolean;
  fired: boolean;
  seconds: number;
  note: string;
}

/** Runs row 4. */
export async function runRegistryFaults(ctx: RowContext, fixtures: Record<FixtureName, FixtureImage>): Promise<RowResult> {
  const started = Date.now();
  const source = await startRegistry({ mode: 'tls-basic' });
  const target = await startRegistry({ mode: 'tls-basic' });
  const proxies: FaultProxy[] = [];
  try {
    await seedFixtures(
      source,
      FAULT_IMAGES.map((name) => fixtures[name]),
    );
    const from = await startFaultProxy({ upstream: { url: source.url, ...(source.caPem ? { caPem: source.caPem } : {}), storageDir: source.storageDir } });
    const to = await startFaultProxy({ upstream: { url: target.url, ...(target.caPem ? { caPem: target.caPem } : {}), storageDir: target.storageDir } });
    proxies.push(from, to);
    const basic = (user: string | undefined, password: string | undefined): string => Buffer.from(`${user ?? ''}:${password ?? ''}`).toString('base64');
    const authFile = join(ctx.work, 'faults-auth.json');
    await writeFile(authFile, JSON.stringify({ auths: { [from.host]: { auth: basic(source.username, source.password) }, [to.host]: { auth: basic(target.username, target.password) } } }));
    const targetAuth = { authorization: `Basic ${basic(target.username, target.password)}` };
    const refs = FAULT_IMAGES.map((name) => `${from.host}/${fixtures[name].repository}:${fixtures[name].tag}`);
    const imagesFile = join(ctx.work, 'faults-images.txt');
    await writeFile(imagesFile, `${refs.join('\n')}\n`);
    const bigLayer = fixtures['big-layers'].blobs.reduce((a, b) => (b.size > a.size ? b : a)).digest;
    const expectedDigests = new Map(FAULT_IMAGES.map((name) => [`${fixtures[name].repository}:${fixtures[name].tag}`, fixtures[name].manifestDigest]));
    const common = ['--plain-http', '--authfile', authFile];
    const run = (args: string[]) => runFerryProcess(args, { env: ctx.env, timeoutMs: JOB_TIMEOUT_MS });

    const bundleOf = (name: string): string => join(ctx.work, 'faults', name);
    await mkdir(join(ctx.work, 'faults'), { recursive: true });
    const baselineExport = await run(['export', '--to', bundleOf('baseline'), ...refs, ...common]);
    if (baselineExport.code !== 0) throw new Error(`fault-free export failed: ${tailOf(baselineExport.stderr)}`);
    const baselineBundle = await fingerprintBundle(bundleOf('baseline'));
    const baselineImport = await run(['import', bundleOf('baseline'), '--to', `${to.host}/import-baseline`, ...common, '--receipt', join(ctx.work, 'faults-receipt.json')]);
    if (baselineImport.code !== 0) throw new Error(`fault-free import failed: ${tailOf(baselineImport.stderr)}`);
    const importExpected = await registryContent(to.url, 'import-baseline', targetAuth);

    const outcomes: JobOutcome[] = [];
    const attempt = async (job: string, scenario: Scenario, proxy: FaultProxy, body: () => Promise<{ completed: boolean; identical: boolean; note: string }>): Promise<void> => {
      const jobStarted = Date.now();
      proxy.clearFaults();
      for (const rule of scenario.rules(bigLayer)) proxy.addFault(rule);
      const armed = proxy.pendingFaults();
      const result = await body();
      const fired = proxy.pendingFaults() < armed;
      proxy.clearFaults();
      outcomes.push({ job, fault: scenario.fault, fired, seconds: (Date.now() - jobStarted) / 1000, ...result });
    };
    for (const [i, scenario] of DOWNLOAD_FAULTS.entries()) {
      const prefix = `copy-${i}`;
      await attempt('copy', scenario, from, async () => {
        const copy = await run(['copy', '--images', imagesFile, '--to', `${to.host}/${prefix}`, ...common]);
        if (copy.code !== 0) return { completed: false, identical: false, note: tailOf(copy.stderr) };
        const diff = contentDifferences(expectedDigests, await registryContent(to.url, prefix, targetAuth));
        return { completed: true, identical: diff.length === 0, note: diff.join(', ') };
      });
      await attempt('export', scenario, from, async () => {
        const dir = bundleOf(`export-${i}`);
        const exported = await run(['export', '--to', dir, ...refs, ...common]);
        if (exported.code !== 0) return { completed: false, identical: false, note: tailOf(exported.stderr) };
        const diff = bundleDifferences(baselineBundle, await fingerprintBundle(dir));
        await rm(dir, { recursive: true, force: true });
        return { completed: true, identical: diff.length === 0, note: diff.join(', ') };
      });
    }
    for (const [i, scenario] of UPLOAD_FAULTS.entries()) {
      const prefix = `import-${i}`;
      await attempt('import', scenario, to, async () => {
        const imported = await run(['import', bundleOf('baseline'), '--to', `${to.host}/${prefix}`, ...common, '--receipt', join(ctx.work, 'faults-receipt.json')]);
        if (imported.code !== 0) return { completed: false, identical: false, note: tailOf(imported.stderr) };
        const diff = contentDifferences(importExpected, await registryContent(to.url, prefix, targetAuth));
        return { completed: true, identical: diff.length === 0, note: diff.join(', ') };
      });
    }
    const redirected = proxies.flatMap((p) => p.redirectHost.requests);
    const leaked = redirected.filter((r) => r.headers.authorization !== undefined);
    const failed = outcomes.filter((o) => !o.completed || !o.identical);
    const unfired = outcomes.filter((o) => !o.fired);
    return {
      test: 'Registry faults through the proxy (copy, export, import)',
      n: outcomes.length,
      seconds: (Date.now() - started) / 1000,
      musts: [
        {
          must: 'every job completes with identical digests',
          ok: failed.length === 0 && unfired.length === 0,
          detail: `${outcomes.length - failed.length} of ${outcomes.length} completed identical${unfired.length > 0 ? `; ${unfired.length} fault(s) never fired` : ''}`,
        },
        {
          must: 'Authorization never sent to the second host',
          ok: leaked.length === 0 && redirected.length > 0,
          detail: `${leaked.length} of ${redirected.length} requests to the second host carried Authorization`,
        },
      ],
      figures: [
        `${DOWNLOAD_FAULTS.length} download faults × copy and export, ${UPLOAD_FAULTS.length} upload faults × import; registries with TLS + htpasswd behind the proxies`,
        `job seconds: ${outcomes.map((o) => o.seconds.toFixed(1)).join(', ')}`,
      ],
      details: [
        'Identical means: copy — every destination tag resolves to the source manifest digest; export — every file of the bundle has the sha256 of a fault-free export (ferry.json but for bundleId/created); import — every tag resolves to the digest a fault-free import gives.',
        'An import reads blobs from the bundle, not from a registry, so a slow body or a download redirect has nothing to act on there; its faults are on the upload requests.',
        '',
        '| Job | Fault | Fired | Completed | Identical | s | Note |',
        '|---|---|---|---|---|---|---|',
        ...outcomes.map(
          (o) =>
            `| ${o.job} | ${o.fault} | ${o.fired ? 'yes' : '**no**'} | ${o.completed ? 'yes' : '**no**'} | ${o.identical ? 'yes' : '**no**'} | ${o.seconds.toFixed(1)} | ${o.note.replace(/\|/g, '\\|').slice(0, 200)} |`,
        ),
      ],
    };
  } finally {
    for (const proxy of proxies) await proxy.stop();
    await source.stop();
    await target.stop();
  }
}
