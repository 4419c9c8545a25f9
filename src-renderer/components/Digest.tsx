/**
 * A digest in full (issue 17: an officer compares digests character by
 * character): shown whole as selectable text that wraps, never cut to a
 * prefix, with a button that copies it. The button's name says whose digest
 * it copies, so a screen reader tells the copy buttons of a table apart.
 */
import { useState } from 'react';

/** A copy button for `text`; says "Copied" once the clipboard took it, or how to copy by hand when it cannot. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <button
      type="button"
      className="copy-button"
      aria-label={label}
      title={state === 'failed' ? 'The clipboard is not available here: select the text and copy it.' : label}
      onClick={() => {
        navigator.clipboard.writeText(text).then(
          () => setState('copied'),
          () => setState('failed'),
        );
      }}
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select to copy' : 'Copy'}
    </button>
  );
}

/** A digest in full, selectable and wrapping, with its copy button; `of` names what it is the digest of. */
export function Digest({ value, of }: { value: string; of: string }) {
  return (
    <span className="digest-row">
      <code className="digest">{value}</code>
      <CopyButton text={value} label={`Copy the digest of ${of}`} />
    </span>
  );
}
