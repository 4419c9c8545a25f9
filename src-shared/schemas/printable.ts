/**
 * Names a bundle carries (image names, sources, tags, media types) end up on
 * an officer's screen and in file names. None has any use for control
 * characters (C0, DEL, C1) or invisible format characters (bidi overrides
 * and isolates, zero-width marks, line and paragraph separators), which can
 * repaint a terminal or disguise a name; a document holding one is refused.
 */
import { z } from 'zod';
import { CONTROL_OR_INVISIBLE_CLASS } from '../printable-text.ts';

/** Text without a control or invisible format character. */
const PRINTABLE = new RegExp(`^[^${CONTROL_OR_INVISIBLE_CLASS}]*$`, 'u');

/** What a refusal says about such a name. */
export const CONTROL_OR_INVISIBLE_MESSAGE = 'must not hold control characters or invisible format characters (escape sequences, bidi overrides)';

/** A name of at most `max` characters with no control or invisible format character. */
export function printableName(max: number): z.ZodString {
  return z.string().max(max, `is longer than ${max} characters`).regex(PRINTABLE, CONTROL_OR_INVISIBLE_MESSAGE);
}
