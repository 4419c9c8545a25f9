/**
 * The catalog screen's other views (issue 17): a bundle opened with its
 * images, digests, sites and events; which site has what (receipts, images,
 * bytes, last import); the receipts carried back; and the audit log with the
 * check of its hash chain. Plain tables: each is short (at most 100 rows).
 */
import type { AuditView, BundleDetail, ReceiptSummary, SiteHoldings } from '../stores/catalog-store.ts';
import { formatAgo, formatBytes, formatCount, formatFullTime, formatLocalTime, shortDigest } from '../format.ts';
import { eventWord, shortBundleId } from './BundlesTable.tsx';
import { FieldHelp } from './FieldHelp.tsx';

/** A time cell: local to the minute, the full moment with its zone on hover. */
function When({ at }: { at: string | null }) {
  if (at === null) return <>never</>;
  return (
    <time dateTime={at} title={formatFullTime(at)}>
      {formatLocalTime(at)}
    </time>
  );
}

/** A bundle opened from the catalog: what it holds, which sites received it, and each time it was exported or imported here. */
export function BundleDetailView({ detail, onClose }: { detail: BundleDetail; onClose: () => void }) {
  const { bundle, events, images, receipts } = detail;
  const sites = [...new Set([...events.flatMap((e) => (e.site ? [e.site] : [])), ...receipts.map((r) => r.site)])];
  const titleId = `bundle-${bundle.id}-title`;
  return (
    <section className="panel detail" aria-labelledby={titleId}>
      <div className="row">
        <h3 id={titleId} tabIndex={-1}>
          Bundle <span className="mono">{shortBundleId(bundle.id)}</span>
        </h3>
        <button type="button" onClick={onClose}>
          Close bundle
        </button>
      </div>
      <p>
        Created {formatLocalTime(bundle.created)}, number {bundle.sequence} of its series, {formatCount(bundle.images, 'image')} in {formatCount(bundle.blobs, 'file')}, {formatBytes(bundle.bytes)}.
        Full id: <span className="mono">{bundle.id}</span>
      </p>
      <p>{sites.length > 0 ? `Sites that received it: ${sites.join(', ')}.` : 'No site has sent back a receipt for it yet.'}</p>
      <table>
        <caption>Events: each time this bundle was exported or imported on this machine</caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">When</th>
            <th scope="col">Site</th>
            <th scope="col">Folder</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.direction}>
              <td>{eventWord(e.direction)}</td>
              <td>
                <When at={e.recordedAt} />
              </td>
              <td>{e.site ?? '—'}</td>
              <td className="mono">{e.path}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <FieldHelp term="digest" />
      <table>
        <caption>Images in this bundle, with their digests</caption>
        <thead>
          <tr>
            <th scope="col">Image</th>
            <th scope="col">Digest</th>
            <th scope="col">Platforms</th>
            <th scope="col">Size</th>
          </tr>
        </thead>
        <tbody>
          {images.map((image) => (
            <tr key={`${image.reference}@${image.digest}`}>
              <td className="mono">{image.reference}</td>
              <td className="mono" title={image.digest}>
                {shortDigest(image.digest)}
              </td>
              <td>{image.platforms.length > 0 ? image.platforms.join(', ') : '—'}</td>
              <td className="num">{formatBytes(image.size)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Which site has what: receipts, images, bytes and when it last imported. */
export function SitesView({ sites }: { sites: SiteHoldings[] }) {
  return (
    <>
      <FieldHelp term="site" />
      {sites.length === 0 ? (
        <p>No sites yet. A site appears when an import names one, or when a receipt from it is added.</p>
      ) : (
        <table>
          <caption>Sites and what their receipts say they hold</caption>
          <thead>
            <tr>
              <th scope="col">Site</th>
              <th scope="col">Registries</th>
              <th scope="col">Receipts</th>
              <th scope="col">Images</th>
              <th scope="col">Size</th>
              <th scope="col">Last import</th>
            </tr>
          </thead>
          <tbody>
            {sites.map((site) => (
              <tr key={site.name}>
                <th scope="row">{site.name}</th>
                <td className="mono">{site.registries.join(', ') || '—'}</td>
                <td>{formatCount(site.receipts, 'receipt')}</td>
                <td className="num">{site.images.toLocaleString()}</td>
                <td className="num" title={site.unsized > 0 ? `${formatCount(site.unsized, 'file')} of unknown size not counted` : undefined}>
                  {formatBytes(site.bytes)}
                  {site.unsized > 0 ? ' or more' : ''}
                </td>
                <td>{site.lastImport === null ? 'never' : <span title={formatFullTime(site.lastImport)}>{formatAgo(site.lastImport)}</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** The receipts carried back from sites, newest import first. */
export function ReceiptsView({ receipts, onOpen }: { receipts: ReceiptSummary[]; onOpen: (bundleId: string) => void }) {
  return (
    <>
      <FieldHelp term="receipt" />
      {receipts.length === 0 ? (
        <p>No receipts yet. An import that names a site writes one; so does adding a receipt file from a site.</p>
      ) : (
        <table>
          <caption>Receipts from sites, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Site</th>
              <th scope="col">Registry</th>
              <th scope="col">Bundle</th>
              <th scope="col">Imported</th>
              <th scope="col">Images</th>
              <th scope="col">Files</th>
            </tr>
          </thead>
          <tbody>
            {receipts.map((r) => (
              <tr key={r.id}>
                <td>{r.site}</td>
                <td className="mono">{r.registry}</td>
                <td className="mono">
                  {r.bundleId === null ? (
                    '—'
                  ) : (
                    <button type="button" className="link" aria-label={`Open bundle ${shortBundleId(r.bundleId)}`} onClick={() => onOpen(r.bundleId ?? '')}>
                      {shortBundleId(r.bundleId)}
                    </button>
                  )}
                </td>
                <td>
                  <When at={r.importedAt} />
                </td>
                <td className="num">{r.images.toLocaleString()}</td>
                <td className="num">{r.digests.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** Audit actions in words; an unknown one is shown as recorded. */
const ACTION_WORDS: Record<string, string> = {
  export: 'Exported a bundle',
  import: 'Imported a bundle',
  'receipt.add': 'Added a receipt',
  'policy.changed': 'Changed the site policy',
  'import.policy-passed': 'Import passed the site policy',
  'import.policy-refused': 'Import refused by the site policy',
  'bundle-conflict': 'Refused a bundle with a known id but other contents',
  sign: 'Signed a bundle',
  approve: 'Approved a bundle',
  reject: 'Rejected a bundle',
};

/** The audit log newest first, and whether its hash chain is intact. */
export function AuditView({ audit }: { audit: AuditView | null }) {
  if (audit === null) return <p>Loading…</p>;
  const { entries, check } = audit;
  return (
    <>
      <FieldHelp term="audit" />
      {check.ok ? (
        <p className="notice notice-ok">The audit log is intact: {formatCount(check.rows, 'entry', 'entries')}, each sealing the one before.</p>
      ) : (
        <div role="alert" className="notice notice-error">
          <p className="notice-title">The audit log was changed outside Ferry{check.brokenAt === undefined ? '' : ` at entry ${check.brokenAt}`}.</p>
          <p>{check.reason}</p>
        </div>
      )}
      {entries.length > 0 && (
        <table>
          <caption>Audit log, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Subject</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id}>
                <td>
                  <When at={e.at} />
                </td>
                <td>{e.actor}</td>
                <td>{ACTION_WORDS[e.action] ?? e.action}</td>
                <td className="mono">{e.subject}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
