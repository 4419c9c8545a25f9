/** Text helpers of the renderer: short digests and the references typed into the "what" box. Sizes, rates and time left are formatted by src-shared/units.ts, as in the CLI. */

/** The short digest shown in tables; the full one stays in the title attribute. */
export function shortDigest(digest: string): string {
  return digest.startsWith('sha256:') ? `sha256:${digest.slice(7, 19)}` : digest;
}

/** References from the "what" textarea: one per line, `#` starts a comment, blanks ignored. */
export function parseReferences(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line.length > 0);
}
