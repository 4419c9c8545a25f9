/**
 * The browser's image side: the manifest of the chosen tag, the platforms of
 * an index, the file tree (folders expand; a folder's entries are asked for
 * when the first listing did not hold them) and the preview of one file,
 * shown as text only: never markup, control and bidi characters as escapes.
 */
import { formatBytes } from '../../src-shared/units.ts';
import type { TreeNode } from '../file-tree.ts';
import { shortDigest } from '../format.ts';
import { isSingleImage, useBrowse } from '../stores/browse-store.ts';
import { VisibleText } from './VisibleText.tsx';

function Platforms() {
  const s = useBrowse();
  const manifest = s.manifest;
  if (!manifest) return null;
  return (
    <section aria-labelledby="browse-manifest">
      <h3 id="browse-manifest">Manifest</h3>
      <dl className="facts" aria-label="Manifest">
        <div>
          <dt>Digest</dt>
          <dd className="mono" title={manifest.digest}>
            {shortDigest(manifest.digest)}
          </dd>
        </div>
        <div>
          <dt>Media type</dt>
          <dd className="mono">
            <VisibleText text={manifest.mediaType} />
          </dd>
        </div>
        {manifest.artifactType && (
          <div>
            <dt>Artifact type</dt>
            <dd className="mono">
              <VisibleText text={manifest.artifactType} />
            </dd>
          </div>
        )}
      </dl>
      {!isSingleImage(manifest) && (
        <ul className="browse-platforms" aria-label="Platforms">
          {manifest.platforms.map((p) => (
            <li key={p.digest}>
              <button type="button" aria-pressed={s.platform?.digest === p.digest} onClick={() => void s.choosePlatform(p)}>
                <VisibleText text={p.platform ?? shortDigest(p.digest)} />
              </button>
              <span className="hint mono" title={p.digest}>
                {' '}
                {shortDigest(p.digest)} · {formatBytes(p.size)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Entry({ node }: { node: TreeNode }) {
  const expanded = useBrowse((s) => s.expanded.has(node.path));
  const previewing = useBrowse((s) => s.previewPath === node.path);
  const toggleFolder = useBrowse((s) => s.toggleFolder);
  const previewFile = useBrowse((s) => s.previewFile);
  if (node.type === 'dir') {
    return (
      <li>
        <button type="button" className="link" aria-expanded={expanded} onClick={() => void toggleFolder(node.path)}>
          <span aria-hidden="true">{expanded ? '▾ ' : '▸ '}</span>
          <VisibleText text={node.name} />/
        </button>
        {expanded && <Folder path={node.path} />}
      </li>
    );
  }
  if (node.type === 'file' || node.type === 'hardlink') {
    return (
      <li>
        <button type="button" className="link" aria-pressed={previewing} onClick={() => void previewFile(node.path)}>
          <VisibleText text={node.name} />
        </button>
        {node.type === 'hardlink' ? (
          <span className="hint">
            {' '}
            (hard link to <VisibleText text={node.linkTarget ?? ''} />)
          </span>
        ) : (
          <span className="hint"> {formatBytes(node.size)}</span>
        )}
      </li>
    );
  }
  return (
    <li>
      <span className="mono">
        <VisibleText text={node.name} />
      </span>
      {node.type === 'symlink' ? (
        <span className="hint">
          {' '}
          → <VisibleText text={node.linkTarget ?? ''} />
        </span>
      ) : (
        <span className="hint"> (special file)</span>
      )}
    </li>
  );
}

function Folder({ path }: { path: string }) {
  const children = useBrowse((s) => s.tree?.get(path));
  const listed = useBrowse((s) => s.wholeTree || s.listed.has(path));
  if (!children || children.length === 0) return <p className="hint">{listed ? 'Empty folder.' : 'Listing…'}</p>;
  return (
    <ul className="browse-tree" aria-label={path === '' ? 'Files' : `Entries in ${path}`}>
      {children.map((node) => (
        <Entry key={node.path} node={node} />
      ))}
    </ul>
  );
}

function Preview() {
  const s = useBrowse();
  if (!s.previewPath) return null;
  const preview = s.preview;
  return (
    <section aria-labelledby="browse-preview">
      <h3 id="browse-preview">
        Preview of <VisibleText text={s.previewPath} />
      </h3>
      {preview && (
        <>
          <p className="hint">
            {formatBytes(preview.size)}
            {preview.truncated && ' · only the start is shown'}
          </p>
          {preview.binary ? (
            <p>This file is not text; it is not shown.</p>
          ) : (
            <pre className="browse-preview" tabIndex={0} aria-label="File contents">
              <VisibleText text={preview.text} lines />
            </pre>
          )}
        </>
      )}
    </section>
  );
}

/** Manifest, platforms, files and preview of the tag the walk stands on. */
export function BrowseImage() {
  const s = useBrowse();
  if (!s.tag) return null;
  const showFiles = s.tree !== null;
  return (
    <>
      <Platforms />
      {s.manifest && !isSingleImage(s.manifest) && !s.platform && <p className="hint">Choose a platform to see its files.</p>}
      {showFiles && (
        <section aria-labelledby="browse-files">
          <h3 id="browse-files">Files</h3>
          <Folder path="" />
        </section>
      )}
      <Preview />
    </>
  );
}
