/**
 * The characters no name Ferry shows may hold: control characters (C0, DEL,
 * C1) and invisible format characters (bidi overrides and isolates,
 * zero-width marks, line and paragraph separators). Defined once, without
 * zod, for the bundle schemas (which refuse them) and the CLI's terminal
 * guard (which shows them as escapes), so the guard adds nothing to start-up.
 */

/** The characters, as a regular expression class body. */
export const CONTROL_OR_INVISIBLE_CLASS = '\\p{Cc}\\p{Cf}\\u2028\\u2029';

/** Any control or invisible format character. */
export const CONTROL_OR_INVISIBLE = new RegExp(`[${CONTROL_OR_INVISIBLE_CLASS}]`, 'u');
