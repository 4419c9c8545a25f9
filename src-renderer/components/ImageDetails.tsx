/**
 * The bundle's images as an officer reads them (issue 17): each with its full
 * digest (selectable, with a copy button) and a disclosure that opens its
 * detail — per platform the manifest, the layers with sizes and media types,
 * and the config labels, read from the bundle's verified content. Names,
 * label keys and values come from the bundle: shown as text with control and
 * bidi characters escaped (VisibleText).
 */
import { useEffect, useState } from 'react';
import type { ImageDetail, PlatformDetail } from '../../src-shared/api/contract.ts';
import { formatBytes } from '../format.ts';
import { useInspector } from '../stores/inspector-store.ts';
import { Digest } from './Digest.tsx';
import { ErrorNotice } from './ErrorNotice.tsx';
import { VisibleText } from './VisibleText.tsx';

/** Images listed with their details at most; the rest are counted (a report lists more). */
export const IMAGES_SHOWN = 300;

const platformName = (p: PlatformDetail): string => p.platform ?? 'no platform given';

function Labels({ detail }: { detail: PlatformDetail | undefined }) {
  if (!detail) return <p className="hint">Reading the labels…</p>;
  if (detail.labels === undefined) return <p>Labels: {detail.labelsNote ?? 'not read'}.</p>;
  const entries = Object.entries(detail.labels);
  if (entries.length === 0) return <p>Labels: none.</p>;
  return (
    <table>
      <caption>Labels of {platformName(detail)}</caption>
      <thead>
        <tr>
          <th scope="col">Label</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key}>
            <td className="mono">
              <VisibleText text={key} />
            </td>
            <td>
              <VisibleText text={value} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One platform: its manifest, config, layers and (once read) labels. */
function Platform({ platform, withLabels, imageName }: { platform: PlatformDetail; withLabels: PlatformDetail | undefined; imageName: string }) {
  const name = withLabels?.platform ?? platformName(platform);
  const total = platform.layers.reduce((sum, layer) => sum + layer.size, 0);
  return (
    <div className="platform-detail">
      <h4>{name}</h4>
      <p>
        Manifest <Digest value={platform.digest} of={`the ${name} manifest of ${imageName}`} />
        <span className="hint"> {platform.mediaType}</span>
      </p>
      {platform.config && (
        <p>
          Config <Digest value={platform.config.digest} of={`the ${name} config of ${imageName}`} />
          <span className="hint">
            {' '}
            {formatBytes(platform.config.size)} · {platform.config.mediaType}
          </span>
        </p>
      )}
      <table>
        <caption>
          Layers of {name}: {platform.layers.length}, {formatBytes(total)}
        </caption>
        <thead>
          <tr>
            <th scope="col">Digest</th>
            <th scope="col">Size</th>
            <th scope="col">Media type</th>
          </tr>
        </thead>
        <tbody>
          {platform.layers.map((layer, index) => (
            <tr key={`${layer.digest}-${index}`}>
              <td>
                <Digest value={layer.digest} of={`layer ${index + 1} of ${name} of ${imageName}`} />
              </td>
              <td className="num">
                {formatBytes(layer.size)}
                {layer.omitted ? ' (left out: the site has it)' : ''}
              </td>
              <td className="mono">{layer.mediaType}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Labels detail={withLabels} />
    </div>
  );
}

/** One image: its digest and, when opened, its detail (labels read then). */
function ImageItem({ image }: { image: ImageDetail }) {
  const detail = useInspector((s) => s.details[image.name]);
  const error = useInspector((s) => s.detailErrors[image.name]);
  const loadDetail = useInspector((s) => s.loadDetail);
  // A closed image renders nothing inside: a 200-image bundle of 50 layers each must not put 10,000 layer rows in the page.
  const [open, setOpen] = useState(false);
  const platforms = image.platforms.map(platformName).join(', ');
  return (
    <li>
      <div>
        <span className="mono">
          <VisibleText text={image.source} />
        </span>{' '}
        <Digest value={image.digest} of={image.source} />
      </div>
      <details
        onToggle={(e) => {
          setOpen(e.currentTarget.open);
          if (e.currentTarget.open) void loadDetail(image.name);
        }}
      >
        <summary>Details of {image.source}</summary>
        {open && (
          <section aria-label={`Details of ${image.source}`}>
            <p className="hint">
              {image.platforms.length} platform{image.platforms.length === 1 ? '' : 's'}: {platforms || '—'} · {image.mediaType}
            </p>
            {error && <ErrorNotice error={error} />}
            {image.platforms.map((platform) => (
              <Platform key={platform.digest} platform={platform} withLabels={detail?.platforms.find((p) => p.digest === platform.digest)} imageName={image.source} />
            ))}
          </section>
        )}
      </details>
    </li>
  );
}

/** The images of `bundle` (a verified one), each with its full digest and its detail on demand. */
export function ImageDetails({ bundle }: { bundle: string }) {
  const { images, more, error, loadImages } = useInspector();
  useEffect(() => {
    void loadImages(bundle);
  }, [bundle, loadImages]);
  if (error) return <ErrorNotice error={error} />;
  if (images === null) return <p role="status">Reading the images…</p>;
  const shown = images.slice(0, IMAGES_SHOWN);
  const hidden = images.length - shown.length + more;
  return (
    <>
      <ul className="image-details" aria-label="Images with their digests and details">
        {shown.map((image) => (
          <ImageItem key={`${image.name}@${image.digest}`} image={image} />
        ))}
      </ul>
      {hidden > 0 && <p className="hint">{hidden} more images not listed here; the saved report lists up to 1,000.</p>}
    </>
  );
}
