/**
 * The characters no name Ferry shows may hold: control characters (C0, DEL,
 * C1) and invisible format characters (bidi overrides and isolates,
 * zero-width marks, line and paragraph separators). Defined once, without
 * zod, for the bundle schemas (which refuse them), the CLI's terminal
 * guard and the app's browser (which show them as escapes, both through
 * `visibleEscape`), so the guard adds nothing to start-up.
 */

/** The characters, as a regular expression class body. */
export const CONTROL_OR_INVISIBLE_CLASS = '\\p{Cc}\\p{Cf}\\u2028\\u2029';

/** Any control or invisible format character. */
export const CONTROL_OR_INVISIBLE = new RegExp(`[${CONTROL_OR_INVISIBLE_CLASS}]`, 'u');

const SHORT_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['\n', '\\n'],
  ['\r', '\\r'],
  ['\t', '\\t'],
]);

/**
 * How one such character is shown, the same in the terminal and on the
 * screen: `\n`, `\r`, `\t`; `\x1b` for the rest of C0 (never raw in JSON
 * text); JSON's own `\u202e` for everything else, one per UTF-16 unit, so
 * `--json` output parses back to the same values.
 */
export function visibleEscape(char: string): string {
  const short = SHORT_ESCAPES.get(char);
  if (short !== undefined) return short;
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x20) return `\\x${code.toString(16).padStart(2, '0')}`;
  let out = '';
  for (let i = 0; i < char.length; i += 1) out += `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}
