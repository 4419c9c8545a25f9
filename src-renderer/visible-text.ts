/**
 * Untrusted text (names from a registry or a bundle, a file's contents) split
 * into plain runs and the characters that must be shown rather than obeyed:
 * control characters, bidi overrides and isolates, zero-width and other
 * invisible format characters (src-shared/printable-text.ts names them) and
 * lone surrogates. The screen renders each such character as a visible
 * escape (`\u202e`), so a name cannot reorder or hide what follows it. React
 * escapes markup; nothing here is ever used as HTML.
 */
import { CONTROL_OR_INVISIBLE_CLASS, visibleEscape } from '../src-shared/printable-text.ts';

/** One run of text: shown as it is, or one character shown as its escape. */
export type TextPart = { text: string } | { escape: string; codePoint: number };

const INVISIBLE = new RegExp(`[${CONTROL_OR_INVISIBLE_CLASS}\\p{Cs}]`, 'gu');
/**
 * Splits `text` into runs. A name (`lines: false`) shows every such character,
 * newlines included; a file's contents (`lines: true`) keep their line breaks
 * (`\n`, and `\r\n` as one) and tabs as they are.
 */
export function visibleParts(text: string, options: { lines: boolean }): TextPart[] {
  const parts: TextPart[] = [];
  let start = 0;
  const plain = (end: number): void => {
    if (end > start) parts.push({ text: text.slice(start, end) });
  };
  for (const match of text.matchAll(INVISIBLE)) {
    const char = match[0];
    const at = match.index;
    const keep = options.lines && (char === '\n' || char === '\t' || (char === '\r' && text.charAt(at + 1) === '\n'));
    if (keep) continue;
    plain(at);
    parts.push({ escape: visibleEscape(char), codePoint: char.codePointAt(0) ?? 0 });
    start = at + char.length;
  }
  plain(text.length);
  return parts;
}

/** True when a name holds any character the screen shows as an escape. */
export function hasInvisible(text: string): boolean {
  INVISIBLE.lastIndex = 0;
  return INVISIBLE.test(text);
}
