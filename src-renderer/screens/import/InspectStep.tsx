/** The import wizard's Inspect step: what the bundle holds, where each image would land and what is new on this side. */
import { CONTENT_KIND_WORDS } from '../../../src-shared/model/content-kind.ts';
import { formatBytes } from '../../../src-shared/units.ts';
import { BundleInspector } from '../../components/BundleInspector.tsx';
import { VirtualTable, type VirtualColumn } from '../../components/VirtualTable.tsx';
import { useBrowse } from '../../stores/browse-store.ts';
import { useImport } from '../../stores/import-store.ts';
import { formatLocalDate as localDate, formatLocalTime as localTime, shortDigest } from '../../format.ts';

type InspectedImage = NonNullable<ReturnType<typeof useImport.getState>['inspection']>['images'][number];
const targetOf = (img: InspectedImage): string => img.destination ?? (img.targets?.length ? img.targets.map((t) => t.path || '(the import path)').join(', ') : 'chosen in the next step');
/** New, or when an earlier bundle in this side's catalog already carried the same image. */
const carriedText = (img: InspectedImage): string => (img.carriedBefore ? `carried before, on ${localDate(img.carriedBefore.created)}` : 'new');
/** Image, or which kind of artifact, with its file count: files, charts and package repositories are listed beside images. */
const kindText = (img: InspectedImage): string =>
  img.referrer
    ? `${REFERRER_WORDS[img.referrer.kind]} of ${shortDigest(img.referrer.subject)}`
    : `${CONTENT_KIND_WORDS[img.kind]}${img.files ? ` (${img.files.length} file${img.files.length === 1 ? '' : 's'})` : ''}`;
/** A referrer's kind in words (issue 14): what travels with an image. */
const REFERRER_WORDS = { signature: 'Signature', attestation: 'Attestation', sbom: 'SBOM', other: 'Referrer' } as const;
const FORM_WORDS = { directory: 'Folder of files', archive: 'Archive in parts', 'oci-layout': 'OCI image layout (not written by Ferry)' } as const;
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

/** Step 3. */
export function InspectStep() {
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
            <dd>
              number {m.sequence} · <span className="mono">{m.bundleId}</span>
            </dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>
              <time dateTime={m.created}>{localTime(m.created)}</time>
            </dd>
          </div>
          <div>
            <dt>Exported by</dt>
            <dd>
              {m.exporter.user} on {m.exporter.host} (Ferry {m.exporter.ferryVersion})
            </dd>
          </div>
          <div>
            <dt>Form</dt>
            <dd>{FORM_WORDS[inspection.form]}</dd>
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
