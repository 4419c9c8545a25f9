/** Untrusted text shown as text, with control, bidi and invisible characters as marked escapes (visible-text.ts). */
import { visibleParts } from '../visible-text.ts';

/** A name (`lines` false: a newline in it is shown as `\n`) or a file's contents (`lines` true: line breaks and tabs kept). */
export function VisibleText({ text, lines = false }: { text: string; lines?: boolean }) {
  return (
    <>
      {visibleParts(text, { lines }).map((part, index) =>
        'text' in part ? (
          part.text
        ) : (
          <span key={index} className="escaped" title={`Character U+${part.codePoint.toString(16).toUpperCase().padStart(4, '0')} shown as an escape`}>
            {part.escape}
          </span>
        ),
      )}
    </>
  );
}
