/**
 * `ferry ls`: what a registry or a bundle holds, as `crane ls` and `crane
 * export … | tar -tv` show it — repositories, the tags of a repository (with
 * `--digests`), or with `--files` the file tree of an image (its layers
 * applied in order, whiteouts honoured). The work is the browse use case's;
 * this file follows the pages and prints.
 */
import type { BrowseFileEntry, BrowseSource, BrowseTag } from '../../../src-shared/model/browse.ts';
import { FerryError } from '../../../src-shared/errors.ts';
import { browseFiles, browseRepositories, browseTags } from '../../usecases/browse.ts';
import type { RegistrySettings } from '../../usecases/access.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { noteBundleCheck, parseBrowseTarget, targetImage } from '../browse-target.ts';
import { registryFlags, registrySettings } from '../registry-flags.ts';
import { shown, terminalSafe } from '../terminal-text.ts';

/** Names asked for per page; a registry may send fewer and a Link to the rest. */
const PAGE_SIZE = 1000;
/** A listing longer than this many pages is a registry bug or a loop. */
const MAX_PAGES = 10_000;

/** The flags and help of `ferry ls`. */
export const lsSpec: CommandSpec = {
  name: 'ls',
  usage: 'ferry ls REGISTRY | REPOSITORY [--digests] | --files IMAGE [PATH] [--platform OS/ARCH]  (or a bundle: DIR, DIR:REPOSITORY, DIR:IMAGE) [--json]',
  summary: 'List the repositories of a registry or bundle, the tags of a repository, or the files of an image.',
  flags: {
    digests: { type: 'boolean', description: 'with REPOSITORY: show the digest each tag points at (one HEAD request a tag)' },
    files: { type: 'boolean', description: 'list the files of IMAGE (below PATH when given) as its layers make them, like tar -tv' },
    platform: { type: 'string', value: 'OS/ARCH', description: 'with --files: the platform of a multi-platform image (default: the only one, else linux/amd64)' },
    json: { type: 'boolean', description: 'print one JSON object on stdout' },
    ...registryFlags(''),
  },
  examples: [
    'ferry ls --plain-http 127.0.0.1:5000',
    'ferry ls registry.example.com/deckhouse/ee/release-channel --digests',
    'ferry ls --files registry.example.com/deckhouse/ee/release-channel:stable',
    'ferry ls /media/usb/bundle',
    'ferry ls --files /media/usb/bundle:registry.example.com/deckhouse/ee/release-channel:stable',
  ],
};

/** Every page of a listing, following `next` to the end. */
async function allPages<T>(fetchPage: (last: string | undefined) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const items: T[] = [];
  let last: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const answer = await fetchPage(last);
    items.push(...answer.items);
    if (answer.next === undefined || answer.next === last) return items;
    last = answer.next;
  }
  throw new FerryError('REGISTRY_ERROR', `the listing has more than ${MAX_PAGES} pages`);
}

/** `drwxr-xr-x` from a type and permission bits, as tar -tv shows them. */
function modeText(entry: BrowseFileEntry): string {
  const kind = { file: '-', dir: 'd', symlink: 'l', hardlink: 'h', other: '?' }[entry.type];
  const bits = ['r', 'w', 'x'];
  let text = kind;
  for (let i = 8; i >= 0; i -= 1) text += (entry.mode >> i) & 1 ? (bits[(8 - i) % 3] ?? '-') : '-';
  return text;
}

/** One `tar -tv`-like line: mode, size, time, path (a folder with `/`, a link with its target). */
function fileLine(entry: BrowseFileEntry, width: number): string {
  const time = entry.mtime ? entry.mtime.slice(0, 16).replace('T', ' ') : '                ';
  const suffix = entry.type === 'dir' ? '/' : '';
  const link = entry.linkTarget === undefined ? '' : entry.type === 'hardlink' ? shown` link to ${entry.linkTarget}` : shown` -> ${entry.linkTarget}`;
  return `${modeText(entry)} ${String(entry.size).padStart(width)} ${time} ${terminalSafe(entry.path)}${suffix}${link}`;
}

async function listTags(source: BrowseSource, settings: RegistrySettings, repository: string, digests: boolean): Promise<BrowseTag[]> {
  return allPages(async (last) => {
    const page = await browseTags(source, settings, repository, { n: PAGE_SIZE, ...(last !== undefined ? { last } : {}) }, { digests });
    return { items: page.tags, ...(page.next !== undefined ? { next: page.next } : {}) };
  });
}

/** Runs `ferry ls`; returns the exit code. */
export async function runLs(args: ParsedArgs, io: CommandIo): Promise<number> {
  const { out } = io;
  const [argument, path, ...extra] = args.positionals;
  const files = args.values.files === true;
  if (argument === undefined || extra.length > 0 || (path !== undefined && !files)) {
    throw new FerryError('INVALID_ARGUMENT', 'give one REGISTRY, REPOSITORY or bundle DIR, or --files IMAGE [PATH] (see ferry ls --help)');
  }
  if (!files && typeof args.values.platform === 'string') throw new FerryError('INVALID_ARGUMENT', '--platform goes with --files');
  const target = parseBrowseTarget(argument);
  noteBundleCheck(target, io.err);
  const settings = await registrySettings(args.values, io);
  const json = args.values.json === true;
  if (files) {
    const platform = typeof args.values.platform === 'string' ? args.values.platform : undefined;
    const tree = await browseFiles(target.source, settings, targetImage(target, argument), { ...(platform ? { platform } : {}), ...(path !== undefined ? { path } : {}) });
    if (json) {
      out.write(`${JSON.stringify(tree, null, 2)}\n`);
      return 0;
    }
    const width = Math.max(1, ...tree.entries.map((entry) => String(entry.size).length));
    out.write(tree.entries.map((entry) => `${fileLine(entry, width)}\n`).join(''));
    return 0;
  }
  if (target.tag !== undefined || target.digest !== undefined) {
    throw new FerryError('INVALID_ARGUMENT', `"${argument}" names an image; give the repository alone to list its tags, or add --files to list the image's files`, { argument });
  }
  if (target.repository === undefined) {
    if (args.values.digests === true) throw new FerryError('INVALID_ARGUMENT', '--digests goes with a REPOSITORY');
    const repositories = await allPages(async (last) => {
      const page = await browseRepositories(target.source, settings, { n: PAGE_SIZE, ...(last !== undefined ? { last } : {}) });
      return { items: page.repositories, ...(page.next !== undefined ? { next: page.next } : {}) };
    });
    out.write(json ? `${JSON.stringify({ repositories }, null, 2)}\n` : repositories.map((name) => `${terminalSafe(name)}\n`).join(''));
    return 0;
  }
  const tags = await listTags(target.source, settings, target.repository, args.values.digests === true);
  if (json) {
    out.write(`${JSON.stringify({ repository: target.repository, tags }, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(0, ...tags.map((tag) => tag.tag.length));
  out.write(tags.map((tag) => (tag.digest === undefined ? `${terminalSafe(tag.tag)}\n` : `${terminalSafe(tag.tag.padEnd(width))}  ${terminalSafe(tag.digest)}\n`)).join(''));
  return 0;
}
