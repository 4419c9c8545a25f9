/** The export wizard, connected side: what → plan → where → run → done. */
import { AccessFields } from '../components/AccessFields.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { OpenShiftEndpoints } from '../components/OpenShiftEndpoints.tsx';
import { PathField } from '../components/PathField.tsx';
import { SafelyRemove } from '../components/SafelyRemove.tsx';
import { SaveAsSet, SavedSets } from '../components/SavedSets.tsx';
import { VerifyReport } from '../components/VerifyReport.tsx';
import { JobProgressView } from '../components/JobProgressView.tsx';
import { StepHeading } from '../components/StepHeading.tsx';
import { VirtualTable, type VirtualColumn } from '../components/VirtualTable.tsx';
import { SITE_LABEL } from '../field-labels.ts';
import { formatBytes } from '../../src-shared/units.ts';
import { parseReferences, shortDigest } from '../format.ts';
import { useBrowse } from '../stores/browse-store.ts';
import { useDrives } from '../stores/drives-store.ts';
import { EXPORT_STEPS, useExport } from '../stores/export-store.ts';

const TITLES = { what: 'What to carry', plan: 'The plan', where: 'Where to write it', run: 'Exporting', done: 'Done' } as const;
const STEP_NAMES = EXPORT_STEPS.map((s) => TITLES[s]);
/** The platforms offered as check boxes; none checked keeps every platform of each image. */
const PLATFORM_CHOICES = ['linux/amd64', 'linux/arm64'] as const;

function WhatStep() {
  const s = useExport();
  const startPick = useBrowse((b) => b.startPick);
  const count = parseReferences(s.referencesText).length;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void s.planExport();
      }}
    >
      <div className="field">
        <label htmlFor="references">Image references, one per line (lines starting with # are comments)</label>
        <textarea id="references" rows={8} spellCheck={false} value={s.referencesText} aria-describedby="references-hint" onChange={(e) => s.set({ referencesText: e.target.value })} />
        <p id="references-hint" className="hint">
          {count} reference{count === 1 ? '' : 's'}. Example: registry.example.com/team/app:1.2
        </p>
      </div>
      <div className="actions">
        <button type="button" onClick={startPick}>
          Pick from the registry
        </button>
      </div>
      <SaveAsSet references={parseReferences(s.referencesText)} platforms={s.platforms} />
      <SavedSets chosen={s.setFile} onChoose={(setFile) => s.set({ setFile })} />
      <PathField
        id="image-list-file"
        label="Image list file (path, optional)"
        kind="file"
        value={s.imageListFile}
        onChange={(imageListFile) => s.set({ imageListFile })}
        hint="A text file with one reference per line, as for ferry export --images."
      />
      <PathField
        id="set-file"
        label="Image set file (path, optional)"
        kind="file"
        value={s.setFile}
        onChange={(setFile) => s.set({ setFile })}
        hint="A YAML image set (images, image lists, Deckhouse, OpenShift) or an oc-mirror ImageSetConfiguration, as for ferry export --set."
      />
      <OpenShiftEndpoints values={{ updateService: s.updateService, signatureStore: s.signatureStore }} onChange={(patch) => s.set(patch)} />
      <AccessFields legend="Source registry access" idPrefix="source" access={s.access} onChange={s.setAccess} prefilledFrom={s.prefilledFrom} />
      <ErrorNotice error={s.error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={s.busy}>
          {s.busy ? 'Planning…' : 'Plan export'}
        </button>
      </div>
    </form>
  );
}

type PlanImage = NonNullable<ReturnType<typeof useExport.getState>['plan']>['images'][number];
const PLAN_COLUMNS: VirtualColumn<PlanImage>[] = [
  { key: 'reference', header: 'Reference', className: 'mono', cell: (img) => img.reference, title: (img) => img.reference, width: '45%' },
  { key: 'digest', header: 'Digest', className: 'mono', cell: (img) => shortDigest(img.digest), title: (img) => img.digest },
  { key: 'platforms', header: 'Platforms', cell: (img) => (img.platforms.length ? img.platforms.join(', ') : '—') },
  { key: 'size', header: 'Size', className: 'num', cell: (img) => formatBytes(img.size), width: '8rem' },
];

function PlanStep() {
  const s = useExport();
  const plan = s.plan;
  if (!plan) return null;
  return (
    <>
      {plan.problems.length > 0 && (
        <div role="alert" className="notice notice-error">
          <p className="notice-title">
            {plan.problems.length} reference{plan.problems.length === 1 ? '' : 's'} could not be resolved. Fix or remove them, then plan again.
          </p>
          <ul>
            {plan.problems.map((p) => (
              <li key={p.reference}>
                <span className="mono">{p.reference}</span>: {p.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <VirtualTable caption="Images in the plan" label="Images in the plan, scrollable" columns={PLAN_COLUMNS} rows={plan.images} rowKey={(img) => `${img.reference}@${img.digest}`} />
      <dl className="facts" aria-label="Totals">
        <div>
          <dt>Images</dt>
          <dd>{plan.images.length}</dd>
        </div>
        <div>
          <dt>Blobs</dt>
          <dd>{plan.blobs}</dd>
        </div>
        <div>
          <dt>Total size</dt>
          <dd>{formatBytes(plan.bytes)}</dd>
        </div>
        <div>
          <dt>Saved by deduplication</dt>
          <dd>{formatBytes(plan.savedByDedup)}</dd>
        </div>
        {plan.parent && (
          <div>
            <dt>Left out (the site has it)</dt>
            <dd>{formatBytes(plan.savedByIncremental)}</dd>
          </div>
        )}
      </dl>
      {plan.parent && (
        <p className="hint">
          Incremental on top of bundle <span className="mono">{plan.parent}</span>.
        </p>
      )}
      {plan.notes.length > 0 && (
        // The list scrolls past 16rem (styles.css), so it takes focus: a keyboard user can scroll it too.
        <ul className="notes" aria-label="Notes" tabIndex={0}>
          {plan.notes.map((n, i) => (
            // A Deckhouse plan has a note per version and module, and two may read the same.
            <li key={`${String(i)} ${n}`}>{n}</li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button type="button" onClick={() => s.goTo('what')}>
          Back
        </button>
        <button type="button" className="primary" disabled={plan.problems.length > 0 || plan.images.length === 0} onClick={() => s.goTo('where')}>
          Choose where
        </button>
      </div>
    </>
  );
}

function WhereStep() {
  const s = useExport();
  const drives = useDrives((d) => d.drives);
  const drivesError = useDrives((d) => d.error);
  const chosen = drives.find((d) => s.target === d.path || s.target.startsWith(`${d.path}/`));
  const fits = chosen?.freeBytes != null && s.plan ? chosen.freeBytes >= s.plan.bytes : null;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void s.run();
      }}
    >
      <fieldset>
        <legend>Drives</legend>
        <ErrorNotice error={drivesError} />
        {drives.length === 0 ? (
          <p>No removable drive found. Type any folder below.</p>
        ) : (
          <ul className="drives">
            {drives.map((d) => (
              <li key={d.path}>
                <button type="button" onClick={() => s.set({ target: d.path })} aria-pressed={s.target === d.path}>
                  Use {d.label || d.path}
                </button>
                <span>
                  {' '}
                  {d.path} · {d.fsType} · {formatBytes(d.freeBytes)} free{d.removable ? ' · removable' : ''}
                </span>
                {d.advice && <p className="hint">{d.advice}</p>}
              </li>
            ))}
          </ul>
        )}
      </fieldset>
      <PathField id="target" label="Folder to write the bundle to" kind="folder" value={s.target} onChange={(target) => s.set({ target })} />
      {fits === false && (
        <p className="hint warn">
          The plan needs {formatBytes(s.plan?.bytes)} but the drive has {formatBytes(chosen?.freeBytes)} free.
        </p>
      )}
      <fieldset>
        <legend>Options</legend>
        <div className="check">
          <input id="archive" type="checkbox" checked={s.archive} onChange={(e) => s.set({ archive: e.target.checked })} aria-describedby="archive-hint" />
          <label htmlFor="archive">Archive form (tar parts)</label>
        </div>
        <p id="archive-hint" className="hint">
          Needed on FAT32 drives and for file-transfer gateways.
        </p>
        <div className="check">
          <input id="referrers" type="checkbox" checked={s.referrers} onChange={(e) => s.set({ referrers: e.target.checked })} />
          <label htmlFor="referrers">Carry the images&apos; signatures, attestations and SBOMs</label>
        </div>
        <div className="field">
          <label htmlFor="part-size">Part size (for example 4GiB; empty for the default)</label>
          <input id="part-size" type="text" value={s.partSize} disabled={!s.archive} onChange={(e) => s.set({ partSize: e.target.value })} />
        </div>
        <fieldset aria-describedby="platforms-hint">
          <legend>Platforms</legend>
          {PLATFORM_CHOICES.map((p) => {
            const id = `platform-${p.replace('/', '-')}`;
            return (
              <div className="check" key={p}>
                <input id={id} type="checkbox" checked={s.platforms.includes(p)} onChange={(e) => s.set({ platforms: e.target.checked ? [...s.platforms, p] : s.platforms.filter((q) => q !== p) })} />
                <label htmlFor={id}>{p}</label>
              </div>
            );
          })}
          <p id="platforms-hint" className="hint">
            None checked keeps every platform (or the image set's own platforms).
          </p>
        </fieldset>
        <div className="field">
          <label htmlFor="site">{SITE_LABEL}</label>
          <input id="site" type="text" spellCheck={false} value={s.site} aria-describedby="site-hint" onChange={(e) => s.set({ site: e.target.value })} />
          <p id="site-hint" className="hint">
            Leaves out what the site&apos;s receipts in the catalog say it already has.
          </p>
        </div>
      </fieldset>
      <ErrorNotice error={s.error} />
      <div className="actions">
        <button type="button" onClick={() => s.goTo('plan')}>
          Back
        </button>
        <button type="submit" className="primary" disabled={s.busy}>
          Start export
        </button>
      </div>
    </form>
  );
}

function RunStep() {
  const s = useExport();
  const ended = s.job !== null;
  const images = s.plan?.images.map((img) => ({ name: img.reference, blobs: img.blobs, size: img.size, omittedBytes: img.omittedBytes ?? 0 }));
  return (
    <>
      <JobProgressView jobId={s.jobId} label="Export progress" images={images} />
      {s.job?.status === 'succeeded' && (
        <p role="status" className="notice notice-ok">
          Export finished. Ferry is now verifying the bundle.
        </p>
      )}
      {s.job && s.job.status !== 'succeeded' && <ErrorNotice error={s.job.error ?? { code: 'CANCELLED', message: `The export ${s.job.status}.` }} />}
      <ErrorNotice error={s.error} />
      <div className="actions">
        {!ended && (
          <button type="button" onClick={() => void s.cancel()}>
            Cancel export
          </button>
        )}
        {ended && s.job?.status === 'succeeded' && (
          <button type="button" className="primary" onClick={() => s.goTo('done')}>
            See the result
          </button>
        )}
        {ended && s.job?.status !== 'succeeded' && (
          <button type="button" onClick={() => s.goTo('where')}>
            Back
          </button>
        )}
        {ended && s.job?.status !== 'succeeded' && (
          <button type="button" className="primary" onClick={() => void s.run()}>
            Run again (resumes)
          </button>
        )}
      </div>
    </>
  );
}

function DoneStep() {
  const s = useExport();
  const result = s.job?.status === 'succeeded' ? s.job.result : undefined;
  const summary = result ? Object.entries({ ...result }).filter(([, v]) => typeof v !== 'object') : [];
  return (
    <>
      <p role="status">
        The bundle was written to <span className="mono">{s.target}</span>.
      </p>
      {summary.length > 0 && (
        <dl className="facts" aria-label="Bundle summary">
          {summary.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{String(v)}</dd>
            </div>
          ))}
        </dl>
      )}
      <h3>Verification</h3>
      {!s.verify && !s.verifyError && <JobProgressView jobId={s.verifyJobId} label="Verification progress" />}
      <ErrorNotice error={s.verifyError} />
      {s.verify && <VerifyReport result={s.verify} />}
      <SafelyRemove bundle={result?.bundle ?? s.target} eject={s.eject} onEject={(path) => void s.ejectDrive(path)} />
      <div className="actions">
        <button type="button" onClick={() => s.reset()}>
          Export another set
        </button>
      </div>
    </>
  );
}

/** The export wizard. */
export function ExportWizard() {
  const step = useExport((s) => s.step);
  const index = EXPORT_STEPS.indexOf(step);
  return (
    <section aria-label="Export wizard" className="wizard">
      <StepHeading steps={STEP_NAMES} current={index} title={TITLES[step]} />
      {step === 'what' && <WhatStep />}
      {step === 'plan' && <PlanStep />}
      {step === 'where' && <WhereStep />}
      {step === 'run' && <RunStep />}
      {step === 'done' && <DoneStep />}
    </section>
  );
}
