/** The import wizard, disconnected side: bundle → verify → inspect → target → review → push → mirror configuration. */
import { useEffect } from 'react';
import type { FoundBundle } from '../../src-shared/api/contract.ts';
import { AccessFields } from '../components/AccessFields.tsx';
import { BundleInspector } from '../components/BundleInspector.tsx';
import { ConnectionTestNotice } from '../components/ConnectionTestNotice.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { JobProgressView } from '../components/JobProgressView.tsx';
import { MirrorStep } from '../components/MirrorFiles.tsx';
import { PathField } from '../components/PathField.tsx';
import { RunRegistryHere } from '../components/RunRegistryHere.tsx';
import { StepHeading } from '../components/StepHeading.tsx';
import { VerifyReport } from '../components/VerifyReport.tsx';
import { VirtualTable, type VirtualColumn } from '../components/VirtualTable.tsx';
import { CONTENT_KIND_WORDS } from '../../src-shared/model/content-kind.ts';
import { formatBytes } from '../../src-shared/units.ts';
import { shortDigest } from '../format.ts';
import { useBrowse } from '../stores/browse-store.ts';
import { IMPORT_STEPS, useImport } from '../stores/import-store.ts';
import { ReviewStep } from './ReviewStep.tsx';

const TITLES = { bundle: 'Find the bundle', verify: 'Verify', inspect: 'Inspect', target: 'Target registry', review: 'Review', push: 'Push', mirror: 'Mirror configuration' } as const;
const STEP_NAMES = IMPORT_STEPS.map((s) => TITLES[s]);

/** One found bundle, in words: what it is and what it holds, before any verification. */
function describeFound(found: FoundBundle): string {
  if (found.problem) return found.problem;
  if (found.kind === 'oci-layout') return 'OCI image layout (not written by Ferry)';
  return `bundle ${found.sequence ?? '?'} · ${found.images ?? 0} image${found.images === 1 ? '' : 's'} · ${formatBytes(found.bytes)} · ${found.form ?? ''} form · created ${found.created ?? '?'}`;
}

function FoundBundles() {
  const s = useImport();
  const { found, findBundles } = s;
  useEffect(() => {
    if (found === null) void findBundles();
  }, [found, findBundles]);
  const where = s.searchFolder.trim() ? 'in that folder' : 'on a removable drive';
  return (
    <fieldset>
      <legend>Bundles found</legend>
      {found === null && <p role="status">Looking for bundles…</p>}
      {found?.length === 0 && <p role="status">No bundle found {where}. Search a folder below, or type the bundle folder.</p>}
      {found && found.length > 0 && (
        <ul className="found-bundles" aria-label="Bundles found">
          {found.map((f) => (
            <li key={f.path}>
              <button type="button" aria-pressed={s.bundle === f.path} disabled={f.problem !== null} onClick={() => s.set({ bundle: f.path })}>
                Use {f.path}
              </button>
              <span className="hint">
                {' '}
                {f.drive ? `on ${f.drive} · ` : ''}
                {describeFound(f)}
              </span>
            </li>
          ))}
        </ul>
      )}
      <PathField id="search-folder" label="Folder to search for bundles (empty: removable drives)" kind="folder" value={s.searchFolder} onChange={(searchFolder) => s.set({ searchFolder })} />
      <div className="actions">
        <button type="button" disabled={s.busy} onClick={() => void findBundles()}>
          Find bundles
        </button>
      </div>
    </fieldset>
  );
}

function BundleStep() {
  const s = useImport();
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void s.startVerify();
      }}
    >
      <FoundBundles />
      <PathField id="bundle" label="Bundle folder (the folder holding ferry.json)" kind="folder" value={s.bundle} onChange={(bundle) => s.set({ bundle })} />
      <ErrorNotice error={s.error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={s.busy}>
          Verify bundle
        </button>
      </div>
    </form>
  );
}

function VerifyStep() {
  const s = useImport();
  const job = s.verifyJob;
  return (
    <>
      {!job && <JobProgressView jobId={s.verifyJobId} label="Verification progress" />}
      {job && job.status !== 'succeeded' && <ErrorNotice error={job.error ?? { code: 'BUNDLE_INVALID', message: `Verification ${job.status}.` }} />}
      {s.verify && <VerifyReport result={s.verify} side="import" bundle={s.bundle.trim()} />}
      <ErrorNotice error={s.error} />
      <div className="actions">
        {!job && (
          <button type="button" onClick={() => void s.cancel()}>
            Cancel verification
          </button>
        )}
        {job && (
          <button type="button" onClick={() => s.goTo('bundle')}>
            Back
          </button>
        )}
        <button type="button" className="primary" disabled={!s.verify?.ok || s.busy} onClick={() => void s.inspect()}>
          Inspect images
        </button>
      </div>
    </>
  );
}

type InspectedImage = NonNullable<ReturnType<typeof useImport.getState>['inspection']>['images'][number];
const targetOf = (img: InspectedImage): string => img.destination ?? (img.targets?.length ? img.targets.map((t) => t.path || '(the import path)').join(', ') : 'set in step 4');
/** New, or which earlier bundle in this side's catalog already carried the same image. */
const carriedText = (img: InspectedImage): string => (img.carriedBefore ? `carried by ${img.carriedBefore.bundleId.slice(0, 8)} on ${img.carriedBefore.created.slice(0, 10)}` : 'new');
/** Image, or which kind of artifact, with its file count: files, charts and package repositories are listed beside images. */
const kindText = (img: InspectedImage): string =>
  img.referrer
    ? `${REFERRER_WORDS[img.referrer.kind]} of ${shortDigest(img.referrer.subject)}`
    : `${CONTENT_KIND_WORDS[img.kind]}${img.files ? ` (${img.files.length} file${img.files.length === 1 ? '' : 's'})` : ''}`;
/** A referrer's kind in words (issue 14): what travels with an image. */
const REFERRER_WORDS = { signature: 'Signature', attestation: 'Attestation', sbom: 'SBOM', other: 'Referrer' } as const;
/** How many images carry a signature, an attestation and an SBOM. */
const referrersText = (presence: ReadonlyArray<{ signature: boolean; attestation: boolean; sbom: boolean }>): string =>
  `Of ${presence.length} images, ${presence.filter((p) => p.signature).length} carry a signature, ${presence.filter((p) => p.attestation).length} an attestation and ${presence.filter((p) => p.sbom).length} an SBOM.`;
const filesText = (img: InspectedImage): string => (img.files ?? []).map((f) => `${f.title} (${formatBytes(f.size)})`).join('\n');
const INSPECT_COLUMNS: VirtualColumn<InspectedImage>[] = [
  { key: 'kind', header: 'Kind', cell: kindText, title: (img) => filesText(img) || kindText(img), width: '9rem' },
  { key: 'source', header: 'Source', className: 'mono', cell: (img) => img.source, title: (img) => img.source, width: '22%' },
  { key: 'target', header: 'Target', className: 'mono', cell: targetOf, title: targetOf, width: '20%' },
  { key: 'tag', header: 'Tag', cell: (img) => img.tag ?? '—' },
  { key: 'digest', header: 'Digest', className: 'mono', cell: (img) => shortDigest(img.digest), title: (img) => img.digest, width: '13.5rem' },
  { key: 'platforms', header: 'Platforms', cell: (img) => (img.platforms.length ? img.platforms.join(', ') : '—') },
  { key: 'size', header: 'Size', className: 'num', cell: (img) => formatBytes(img.size), width: '7rem' },
  { key: 'new', header: 'New here?', cell: carriedText, title: carriedText, width: '9rem' },
];

const newCount = (images: readonly InspectedImage[]): number => images.filter((img) => img.carriedBefore === null).length;

function InspectStep() {
  const s = useImport();
  const startBrowse = useBrowse((b) => b.startBundle);
  const inspection = s.inspection;
  if (!inspection) return null;
  const m = inspection.manifest;
  return (
    <>
      {m && (
        <dl className="facts" aria-label="Bundle">
          <div>
            <dt>Bundle</dt>
            <dd className="mono">{m.bundleId}</dd>
          </div>
          <div>
            <dt>Sequence</dt>
            <dd>{m.sequence}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{m.created}</dd>
          </div>
          <div>
            <dt>Exported by</dt>
            <dd>
              {m.exporter.user}@{m.exporter.host} (Ferry {m.exporter.ferryVersion})
            </dd>
          </div>
          <div>
            <dt>Form</dt>
            <dd>{inspection.form}</dd>
          </div>
        </dl>
      )}
      <p role="status">
        {newCount(inspection.images)} of {inspection.images.length} images are new compared with this side&apos;s catalog.
      </p>
      {inspection.referrers && inspection.referrers.length > 0 && <p>{referrersText(inspection.referrers)}</p>}
      <VirtualTable
        caption={`Images in the bundle (${inspection.images.length})`}
        label="Images in the bundle, scrollable"
        columns={INSPECT_COLUMNS}
        rows={inspection.images}
        rowKey={(img) => `${img.name}@${img.digest}`}
      />
      <BundleInspector bundle={s.bundle.trim()} manifest={inspection.manifest} verification={s.verify} />
      <div className="actions">
        <button type="button" onClick={() => s.goTo('verify')}>
          Back
        </button>
        <button type="button" onClick={() => startBrowse(s.bundle.trim())}>
          Browse the bundle&apos;s files
        </button>
        <button type="button" className="primary" onClick={() => s.goTo('target')}>
          Choose target registry
        </button>
      </div>
    </>
  );
}

function TargetStep() {
  const s = useImport();
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void s.review();
      }}
    >
      <RunRegistryHere />
      <div className="field">
        <label htmlFor="registry">Registry address and prefix</label>
        <input
          id="registry"
          type="text"
          spellCheck={false}
          placeholder="registry.local:5000/mirror"
          value={s.target}
          onChange={(e) => {
            s.set({ target: e.target.value });
          }}
        />
      </div>
      <div className="field">
        <label htmlFor="site">Site name (optional: recorded in the receipt, so the next bundle for this site carries only what is new)</label>
        <input
          id="site"
          type="text"
          spellCheck={false}
          placeholder="plant-7"
          value={s.site}
          onChange={(e) => {
            s.set({ site: e.target.value });
          }}
        />
      </div>
      <AccessFields legend="Target registry access" idPrefix="target" access={s.access} onChange={s.setAccess} prefilledFrom={s.prefilledFrom} />
      <div className="actions">
        <button type="button" disabled={s.busy || !s.target.trim()} onClick={() => void s.testConnection()}>
          Test connection
        </button>
      </div>
      <ConnectionTestNotice test={s.test} />
      <ErrorNotice error={s.error} />
      <div className="actions">
        <button type="button" onClick={() => s.goTo('inspect')}>
          Back
        </button>
        <button type="submit" className="primary" disabled={s.busy}>
          Review before pushing
        </button>
      </div>
    </form>
  );
}

function PushStep() {
  const s = useImport();
  const job = s.importJob;
  return (
    <>
      <JobProgressView
        jobId={s.importJobId}
        label="Push progress"
        images={s.inspection?.images.map((img) => ({ name: img.name, blobs: img.blobs, size: img.size, omittedBytes: img.omittedBytes ?? 0 }))}
      />
      {job?.status === 'succeeded' && (
        <p role="status" className="notice notice-ok">
          All images were pushed to <span className="mono">{s.target}</span>.
        </p>
      )}
      {job && job.status !== 'succeeded' && <ErrorNotice error={job.error ?? { code: 'CANCELLED', message: `The import ${job.status}.` }} />}
      <ErrorNotice error={s.error} />
      <div className="actions">
        {!job && (
          <button type="button" onClick={() => void s.cancel()}>
            Cancel push
          </button>
        )}
        {job && job.status !== 'succeeded' && (
          <button type="button" onClick={() => void s.push()}>
            Push again (resumes)
          </button>
        )}
        {job?.status === 'succeeded' && (
          <button type="button" className="primary" disabled={s.busy} onClick={() => void s.loadMirror()}>
            Show mirror configuration
          </button>
        )}
      </div>
    </>
  );
}

/** The import wizard. */
export function ImportWizard() {
  const step = useImport((s) => s.step);
  return (
    <section aria-label="Import wizard" className="wizard">
      <StepHeading steps={STEP_NAMES} current={IMPORT_STEPS.indexOf(step)} title={TITLES[step]} />
      {step === 'bundle' && <BundleStep />}
      {step === 'verify' && <VerifyStep />}
      {step === 'inspect' && <InspectStep />}
      {step === 'target' && <TargetStep />}
      {step === 'review' && <ReviewStep />}
      {step === 'push' && <PushStep />}
      {step === 'mirror' && <MirrorStep />}
    </section>
  );
}
