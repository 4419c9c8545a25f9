/**
 * The import wizard's Mirror configuration step (issue 15): every file
 * grouped by the runtime or tool that reads it, each with where it goes on
 * that machine and the command that applies it, and "Save all files", which
 * writes them into one folder keeping their folders (containerd's
 * `certs.d/<host>/hosts.toml` files share a base name and must not collide),
 * in one action for every import (a folder is proposed), and the
 * cluster's pull secret with the mirror's login merged in.
 */
import { useState } from 'react';
import { FieldHelp } from './FieldHelp.tsx';
import type { MirrorFile } from '../../src-shared/api/contract.ts';
import type { MirrorCheckReport } from '../../src-shared/model/mirror-check.ts';
import { useImport } from '../stores/import-store.ts';
import { ErrorNotice } from './ErrorNotice.tsx';
import { PathField } from './PathField.tsx';
import { PullSecretMerge } from './PullSecretMerge.tsx';

/** Copies text, saying in `setNote` whether it worked. */
async function copyText(text: string, setNote: (note: string) => void, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    setNote(`${what} copied to the clipboard.`);
  } catch {
    setNote('The clipboard is not available here: select the text and copy it.');
  }
}

function MirrorFileView({ file }: { file: MirrorFile }) {
  const [note, setNote] = useState('');
  const { path, text, install } = file;
  const id = `file-${path.replace(/[^a-z0-9]+/gi, '-')}`;
  return (
    <article aria-labelledby={`${id}-title`}>
      <h4 id={`${id}-title`} className="mono">
        {path}
      </h4>
      {install ? (
        <dl className="facts" aria-label={`Where ${path} goes`}>
          <div>
            <dt>Goes to</dt>
            <dd className="mono">{install.destination}</dd>
          </div>
          <div>
            <dt>Apply with</dt>
            <dd>
              <code>{install.command}</code>
            </dd>
          </div>
        </dl>
      ) : (
        <p className="hint">Saved as {path} inside the folder "Save all files" writes to.</p>
      )}
      <pre tabIndex={0} aria-label={`Contents of ${path}`}>
        {text}
      </pre>
      <div className="actions">
        <button type="button" onClick={() => void copyText(text, setNote, path)}>
          Copy {path}
        </button>
        {install && (
          <button type="button" onClick={() => void copyText(install.command, setNote, 'The command')}>
            Copy the command for {path}
          </button>
        )}
        <span role="status">{note}</span>
      </div>
    </article>
  );
}

/** Which runtime or tool a file is for: the install guide's consumer, else its top folder. */
function targetOf(file: MirrorFile): string {
  return file.install?.consumer ?? (file.path.includes('/') ? (file.path.split('/')[0] ?? file.path) : 'Other files');
}

/** The files grouped per target, in the order they first appear. */
function byTarget(files: readonly MirrorFile[]): Array<[string, MirrorFile[]]> {
  const groups = new Map<string, MirrorFile[]>();
  for (const file of files) groups.set(targetOf(file), [...(groups.get(targetOf(file)) ?? []), file]);
  return [...groups];
}

/** The saved files read back as the runtimes read them: one line when every image resolves, else each image that would not. */
function MappingCheck({ check }: { check: MirrorCheckReport }) {
  if (check.ok)
    return (
      <p>
        Checked: {check.images === 1 ? 'the image resolves' : `all ${check.images} images resolve`} through these files ({check.formats.join(', ')}) to <span className="mono">{check.registry}</span>.
      </p>
    );
  const failing = check.rows.filter((row) => row.state !== 'resolves');
  return (
    <div role="alert" className="notice notice-error">
      <p>
        {check.images - check.resolved} of {check.images} images would not resolve through these files:
      </p>
      <ul aria-label="Images that would not resolve">
        {failing.map((row) => (
          <li key={`${row.image} ${row.format}`} className="mono">
            {row.format}: {row.detail}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** "Save all files": a folder and one button; says where each file was written. */
function SaveAll() {
  const s = useImport();
  return (
    <fieldset>
      <legend>Save all files</legend>
      <PathField
        id="mirror-folder"
        label="Folder to save the mirror configuration in"
        kind="folder"
        value={s.mirrorFolder}
        onChange={(mirrorFolder) => s.set({ mirrorFolder })}
        hint="Each file keeps its folders. Copy the folder to the machine that uses it and run the commands below from inside it."
      />
      <ErrorNotice error={s.error} />
      <div className="actions">
        <button type="button" className="primary" disabled={s.busy} onClick={() => void s.saveMirror()}>
          Save all files
        </button>
      </div>
      {s.mirrorSaved && (
        <div role="status" className="notice notice-ok">
          <p>
            Saved {s.mirrorSaved.written.length} files under <span className="mono">{s.mirrorSaved.folder}</span>:
          </p>
          <ul aria-label="Files saved">
            {s.mirrorSaved.written.map((path) => (
              <li key={path} className="mono">
                {path}
              </li>
            ))}
          </ul>
          {s.mirrorSaved.check && <MappingCheck check={s.mirrorSaved.check} />}
        </div>
      )}
    </fieldset>
  );
}

/** The step's body. */
export function MirrorStep() {
  const s = useImport();
  return (
    <>
      <p>
        Give these files to the clusters that pull from <span className="mono">{s.target}</span>.
      </p>
      <FieldHelp term="mirror" />
      <FieldHelp term="idms" />
      <SaveAll />
      <PullSecretMerge />
      {byTarget(s.mirror ?? []).map(([target, files]) => (
        <section key={target} aria-label={`Files for ${target}`}>
          <h3>For {target}</h3>
          {files.map((file) => (
            <MirrorFileView key={file.path} file={file} />
          ))}
        </section>
      ))}
      <div className="actions">
        <button type="button" onClick={() => s.reset()}>
          Import another bundle
        </button>
      </div>
    </>
  );
}
