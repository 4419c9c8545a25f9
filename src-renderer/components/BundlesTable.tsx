/** The catalog's bundles as a table, shared by the start and catalog screens. */
import type { CatalogBundle } from '../stores/catalog-store.ts';
import { formatBytes } from '../format.ts';

const text = (value: unknown): string => (value === null || value === undefined ? '—' : String(value));

/** Bundles with their id, direction, form, date, images and size. */
export function BundlesTable({ bundles, caption }: { bundles: CatalogBundle[]; caption: string }) {
  if (bundles.length === 0) return <p>No bundles yet.</p>;
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr><th scope="col">Bundle</th><th scope="col">Direction</th><th scope="col">Form</th><th scope="col">Created</th><th scope="col">Images</th><th scope="col">Size</th><th scope="col">Path</th></tr>
      </thead>
      <tbody>
        {bundles.map((b, i) => (
          <tr key={`${text(b.id)}-${text(b.direction)}-${i}`}>
            <td className="mono">{text(b.id).slice(0, 12)}</td>
            <td>{text(b.direction)}</td>
            <td>{text(b.form)}</td>
            <td>{text(b.created)}</td>
            <td className="num">{text(b.images)}</td>
            <td className="num">{typeof b.bytes === 'number' ? formatBytes(b.bytes) : '—'}</td>
            <td className="mono">{text(b.path)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
