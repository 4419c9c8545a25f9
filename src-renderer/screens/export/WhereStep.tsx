/**
 * Step 3 of the export wizard: where to write the bundle and its options.
 * Every value is checked here, beside its field (aria-invalid and the reason
 * in its description): the folder (writable, room for the plan on its
 * drive), the part size, and the site an incremental bundle is for.
 */
import { useEffect, useRef, useState } from 'react';
import { FieldHelp } from '../../components/FieldHelp.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { PathField } from '../../components/PathField.tsx';
import { SITE_LABEL } from '../../field-labels.ts';
import { formatLocalTime } from '../../format.ts';
import { formatBytes } from '../../../src-shared/units.ts';
import { useDrives } from '../../stores/drives-store.ts';
import { partSizeProblem } from '../../stores/export-checks.ts';
import { useExport } from '../../stores/export-store.ts';

/** The platforms offered as check boxes; none checked keeps every platform of each image. */
const PLATFORM_CHOICES = ['linux/amd64', 'linux/arm64'] as const;
/** Typing pauses this long before the folder or the site is checked with the engine. */
const CHECK_DELAY_MS = 300;

/** Runs `check` once typing in `value` pauses (and once on showing a value), never again for the same value. */
function useCheckAfterTyping(value: string, check: () => Promise<unknown>): void {
  const latest = useRef(check);
  latest.current = check;
  useEffect(() => {
    if (value.trim() === '') return undefined;
    const timer = setTimeout(() => void latest.current(), CHECK_DELAY_MS);
    return () => clearTimeout(timer);
  }, [value]);
}

/** The room on the folder's drive against the plan: a line in words, and whether it is too small. */
function roomFor(bytes: number | undefined, freeBytes: number | undefined): { text: string; tooSmall: boolean } | undefined {
  if (freeBytes === undefined || bytes === undefined) return undefined;
  const tooSmall = freeBytes < bytes;
  return {
    text: `${formatBytes(freeBytes)} free; the bundle needs ${formatBytes(bytes)}${tooSmall ? ': the drive is too small for this plan. Choose another drive, or split the images over two bundles.' : '.'}`,
    tooSmall,
  };
}

/** The site an incremental bundle is for: what the catalog knows it holds, and a receipt carried back from it. */
function SiteFields() {
  const s = useExport();
  const [receipt, setReceipt] = useState('');
  useCheckAfterTyping(s.site, s.loadSite);
  const summary = s.siteSummary;
  const unknown = summary !== null && !summary.known;
  const plan = s.plan;
  return (
    <fieldset>
      <legend>Incremental bundle</legend>
      <FieldHelp term="site" />
      <div className="field">
        <label htmlFor="site">{SITE_LABEL}</label>
        <input
          id="site"
          type="text"
          spellCheck={false}
          value={s.site}
          aria-invalid={unknown ? true : undefined}
          aria-describedby="site-summary site-hint"
          onChange={(e) => s.set({ site: e.target.value })}
        />
        <p id="site-summary" className={unknown ? 'field-error' : 'hint'} role="status">
          {summary?.known &&
            `Site ${summary.name}: ${summary.receipts} receipt${summary.receipts === 1 ? '' : 's'}${summary.lastImport ? `, last import ${formatLocalTime(summary.lastImport)}` : ''}; it has ${summary.images} image${summary.images === 1 ? '' : 's'}${summary.bytes > 0 ? ` (${formatBytes(summary.bytes)})` : ''}.`}
          {unknown && `No receipt from site ${summary.name} yet, so nothing says what it holds: add its receipt below, or clear the field for a full bundle.`}
        </p>
        <p id="site-hint" className="hint">
          Leaves out what the site&apos;s receipts say it already has.
          {summary?.known && plan?.parent !== undefined && ` The plan leaves out ${formatBytes(plan.savedByIncremental)} the site has; the bundle needs ${formatBytes(plan.bytes)}.`}
        </p>
      </div>
      {summary?.known && plan?.parent === undefined && (
        <div className="actions">
          <button type="button" disabled={s.busy} onClick={() => void s.planExport()}>
            Plan again for site {summary.name}
          </button>
        </div>
      )}
      <div className="row">
        <PathField id="receipt-file" label="Receipt file from the site (ferry-receipt.json)" kind="file" value={receipt} onChange={setReceipt} />
        <div className="field">
          <button type="button" disabled={receipt.trim() === ''} onClick={() => void s.addReceipt(receipt)}>
            Add receipt
          </button>
        </div>
      </div>
      {s.receiptNote && (
        <p role="status" className="notice notice-ok">
          {s.receiptNote}
        </p>
      )}
      <ErrorNotice error={s.receiptError} />
    </fieldset>
  );
}

/** Where to write it. */
export function WhereStep() {
  const s = useExport();
  const drives = useDrives((d) => d.drives);
  const drivesError = useDrives((d) => d.error);
  const [partSizeTouched, setPartSizeTouched] = useState(false);
  useCheckAfterTyping(s.target, s.checkTarget);
  const check = s.targetCheck;
  const room = roomFor(s.plan?.bytes, check?.freeBytes);
  const partSizeError = partSizeTouched ? partSizeProblem(s.archive, s.partSize) : undefined;
  const targetProblem = check?.problem ?? (room?.tooSmall ? room.text : undefined);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setPartSizeTouched(true);
        if (room?.tooSmall) return;
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
      <PathField
        id="target"
        label="Folder to write the bundle to"
        kind="folder"
        value={s.target}
        onChange={(target) => s.set({ target })}
        invalid={targetProblem}
        {...(room && !room.tooSmall && !check?.problem ? { hint: room.text } : {})}
      />
      <fieldset>
        <legend>Options</legend>
        <FieldHelp term="form" />
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
          <input
            id="part-size"
            type="text"
            value={s.partSize}
            disabled={!s.archive}
            aria-invalid={partSizeError ? true : undefined}
            aria-describedby={partSizeError ? 'part-size-error' : undefined}
            onBlur={() => setPartSizeTouched(true)}
            onChange={(e) => s.set({ partSize: e.target.value })}
          />
          {partSizeError && (
            <p id="part-size-error" className="field-error">
              {partSizeError}
            </p>
          )}
        </div>
        <fieldset aria-describedby="platforms-hint">
          <legend>Platforms</legend>
          <FieldHelp term="platform" />
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
            None checked keeps every platform (or the image set&apos;s own platforms).
          </p>
        </fieldset>
      </fieldset>
      <SiteFields />
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
