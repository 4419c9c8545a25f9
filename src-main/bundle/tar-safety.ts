/**
 * Tar safety for the archive form (DESIGN.md decision 5, docs/bundle-format.md
 * "Archive form"): a bundle's tar stream may hold only plain files named
 * `oci-layout`, `index.json` or `blobs/sha256/<64 hex>`, each once, in plain
 * ustar headers. Anything else — links, devices, fifos, directories, `..`,
 * absolute paths, duplicates, pax or GNU long-name extension headers, names
 * over the ustar 100-byte name field — is refused before any byte is used.
 *
 * Tar format: POSIX.1-1988 ustar, https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html#tag_20_92_13_06
 */

/** Tar entry names a bundle may hold; anything else is refused. */
export const ALLOWED_ENTRY = /^(oci-layout|index\.json|blobs\/sha256\/[a-f0-9]{64})$/;

/** The ustar `name` field is 100 bytes; every allowed name fits it, so a longer one needs a prefix or extension header. */
export const MAX_ENTRY_NAME_BYTES = 100;

/** Tar blocks are 512 bytes; a plain entry is one header block followed by its data padded to whole blocks. */
const TAR_BLOCK = 512;

/** What the guard needs from a tar-stream header; `byteOffset` (where the data starts) reveals extension headers. */
export interface TarEntryHeader {
  name: string;
  type: string | null;
  size?: number;
  linkname?: string | null;
  pax?: Record<string, string> | null;
  byteOffset?: number;
}

/** Plain-language words for tar entry types that are never allowed. */
const TYPE_WORDS: Record<string, string> = {
  symlink: 'a symbolic link',
  link: 'a hard link',
  'character-device': 'a character device',
  'block-device': 'a block device',
  fifo: 'a fifo',
  directory: 'a directory',
  'contiguous-file': 'a contiguous file',
};

/** Shows an untrusted name safely: quoted, escaped and cut short, so it cannot garble a terminal. */
export function showName(name: string): string {
  return JSON.stringify(name.length > 120 ? `${name.slice(0, 120)}…` : name);
}

/**
 * Why a single entry's header is not allowed, or undefined when it is a plain
 * file with an allowed name. Duplicates and extension headers need the
 * stream's history: see TarEntryGuard.
 */
export function entryProblem(header: TarEntryHeader): string | undefined {
  const { name } = header;
  const refuse = (why: string): string => `the archive holds an entry that is not allowed: ${showName(name)} (${why})`;
  const type = header.type ?? 'unknown';
  if (type !== 'file') {
    const word = TYPE_WORDS[type] ?? `an entry of unknown type "${type}"`;
    return refuse(header.linkname ? `${word} to ${showName(header.linkname)}` : word);
  }
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) return refuse('an absolute path');
  if (name.split(/[/\\]/).includes('..')) return refuse('a ".." path component');
  if (header.pax) return refuse(`a pax extended header (${Object.keys(header.pax).slice(0, 5).join(', ') || 'empty'})`);
  if (Buffer.byteLength(name, 'utf8') > MAX_ENTRY_NAME_BYTES) return refuse(`a name longer than ${MAX_ENTRY_NAME_BYTES} bytes`);
  if (!ALLOWED_ENTRY.test(name)) return refuse('only oci-layout, index.json and blobs/sha256/<64 hex> are allowed');
  return undefined;
}

/**
 * Checks the entries of one tar stream in order: each header on its own, plus
 * duplicates and hidden extension headers (tar-stream folds pax and GNU
 * long-name headers into the next entry; the gap they leave before that
 * entry's header gives them away).
 */
export class TarEntryGuard {
  private readonly seen = new Set<string>();
  /** Where the next header must start if no extension header comes between. */
  private nextHeader = 0;

  /** Problems with this entry (empty when it is allowed and may be read). */
  check(header: TarEntryHeader): string[] {
    const problems: string[] = [];
    const single = entryProblem(header);
    if (single) problems.push(single);
    if (header.byteOffset !== undefined) {
      const headerStart = header.byteOffset - TAR_BLOCK;
      if (headerStart > this.nextHeader && !header.pax) {
        problems.push(
          `the archive entry ${showName(header.name)} comes after ${headerStart - this.nextHeader} bytes of extension headers (GNU long name or pax global header), which a bundle never has`,
        );
      }
      this.nextHeader = header.byteOffset + Math.ceil((header.size ?? 0) / TAR_BLOCK) * TAR_BLOCK;
    }
    if (!single) {
      if (this.seen.has(header.name)) problems.push(`the archive holds ${showName(header.name)} twice`);
      this.seen.add(header.name);
    }
    return problems;
  }
}
