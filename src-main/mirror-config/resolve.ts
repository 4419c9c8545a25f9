/**
 * A mirror-configuration folder read back as the runtimes read it, so Ferry
 * can say where each runtime would pull an image from (the mapping check,
 * usecases/mirror-check.ts). It finds each format wherever Ferry writes it or
 * a node keeps it:
 * - registries.conf: `registries.conf`, then `registries.conf.d/*.conf` in
 *   name order (also under `containers/`), or DIR itself as one file;
 * - IDMS, ITMS, ICSP: `*.yaml`/`*.yml` in DIR and `openshift/`;
 * - hosts.toml: `<host>/hosts.toml` under `containerd/certs.d`, `certs.d` or DIR.
 * Files are read with a size cap, never through a symlink folder tree walk.
 */
import { lstat, open, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { endpointCandidate, hostFolderCandidates, parseHostsToml, type HostsFile } from './resolve-containerd.ts';
import { mergeOpenShiftRules, parseOpenShiftMirrors, type OpenShiftMirrorKind } from './resolve-openshift.ts';
import { CONFIG_MAX_BYTES, findRule, mergeRules, parseRegistriesConf, pullCandidates, type PullCandidate, type RegistryRule } from './resolve-registries-conf.ts';

/** The formats the check resolves through, as the report names them. */
export type MirrorFormat = 'registries.conf' | OpenShiftMirrorKind | 'hosts.toml';

/** A configuration as read: the rules of each format present, and where each came from. */
export interface MirrorConfiguration {
  /** The folder or file given. */
  path: string;
  /** The formats present, in report order. */
  formats: MirrorFormat[];
  /** The files read per format (relative to `path`). */
  files: Partial<Record<MirrorFormat, string[]>>;
  rules: Partial<Record<'registries.conf' | OpenShiftMirrorKind, RegistryRule[]>>;
  /** hosts.toml files keyed by their folder name under the certs.d root. */
  hosts: Map<string, HostsFile>;
}

/** Where one format sends a pull of an image. */
export interface Resolution {
  format: MirrorFormat;
  /** The rule that applied: its prefix or source (`quay.io/ocp`), or the hosts.toml folder; undefined when none matched. */
  rule?: string;
  /** The file holding that rule. */
  file?: string;
  /** A registries.conf rule with `blocked = true`: the runtime refuses the pull. */
  blocked?: boolean;
  /** In the order the runtime tries them. */
  candidates: PullCandidate[];
}

/** The kinds, in the order reports list them. */
const FORMAT_ORDER: readonly MirrorFormat[] = ['registries.conf', 'IDMS', 'ITMS', 'ICSP', 'hosts.toml'];

/** A configuration file's text, refused past CONFIG_MAX_BYTES before it is read; `shown` names it in errors. */
async function readCappedText(path: string, shown: string): Promise<string> {
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size > CONFIG_MAX_BYTES) throw new FerryError('INVALID_CONTENT', `${shown} is ${size} bytes; a mirror configuration file is at most ${CONFIG_MAX_BYTES}`, { file: shown });
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof FerryError) throw error;
    throw new FerryError('IO_ERROR', `cannot read ${shown}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { file: shown }, { cause: error });
  }
}

async function kind(path: string): Promise<'file' | 'folder' | 'missing' | 'other'> {
  try {
    const stats = await lstat(path);
    return stats.isFile() ? 'file' : stats.isDirectory() ? 'folder' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
}

/** Regular files in a real folder (relative to `root`), name order; none for a missing folder or a symlink. */
async function filesIn(root: string, relative: string, accept: (name: string) => boolean): Promise<string[]> {
  const folder = relative === '' ? root : join(root, ...relative.split('/'));
  if ((await kind(folder)) !== 'folder') return [];
  const entries = await readdir(folder, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && accept(entry.name))
    .map((entry) => (relative === '' ? entry.name : `${relative}/${entry.name}`))
    .sort();
}

/** Real sub-folders of a folder, name order. */
async function foldersIn(folder: string): Promise<string[]> {
  if ((await kind(folder)) !== 'folder') return [];
  return (await readdir(folder, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

function addFile(config: MirrorConfiguration, format: MirrorFormat, file: string): void {
  (config.files[format] ??= []).push(file);
}

async function readOpenShift(config: MirrorConfiguration, root: string, files: readonly string[]): Promise<void> {
  const byKind = new Map<OpenShiftMirrorKind, RegistryRule[]>();
  for (const file of files) {
    const found = parseOpenShiftMirrors(await readCappedText(join(root, ...file.split('/')), file), file);
    for (const [short, rules] of found) {
      byKind.set(short, [...(byKind.get(short) ?? []), ...rules]);
      addFile(config, short, file);
    }
  }
  for (const [short, rules] of byKind) config.rules[short] = mergeOpenShiftRules(rules);
}

/**
 * Reads every mirror format found in `path` (a folder, or one registries.conf
 * or YAML file). NOT_FOUND when the path does not exist; INVALID_ARGUMENT when
 * it holds no mirror configuration at all; INVALID_CONTENT naming the file
 * for a file that cannot be read as its format.
 */
export async function readMirrorConfiguration(path: string): Promise<MirrorConfiguration> {
  const config: MirrorConfiguration = { path, formats: [], files: {}, rules: {}, hosts: new Map() };
  const what = await kind(path);
  if (what === 'missing') throw new FerryError('NOT_FOUND', `${path} does not exist`, { path });
  if (what === 'file' || what === 'other') {
    const name = basename(path);
    if (/\.ya?ml$/i.test(name)) await readOpenShift(config, join(path, '..'), [name]);
    else {
      config.rules['registries.conf'] = parseRegistriesConf(await readCappedText(path, name), name);
      addFile(config, 'registries.conf', name);
    }
  } else {
    const confFiles: string[] = [];
    for (const base of ['', 'containers']) {
      const main = base === '' ? 'registries.conf' : `${base}/registries.conf`;
      if ((await kind(join(path, ...main.split('/')))) === 'file') confFiles.push(main);
      confFiles.push(...(await filesIn(path, base === '' ? 'registries.conf.d' : `${base}/registries.conf.d`, (n) => n.endsWith('.conf'))));
    }
    if (confFiles.length > 0) {
      const lists: RegistryRule[][] = [];
      for (const file of confFiles) lists.push(parseRegistriesConf(await readCappedText(join(path, ...file.split('/')), file), file));
      config.rules['registries.conf'] = mergeRules(lists);
      config.files['registries.conf'] = confFiles;
    }
    const yamlFiles = [...(await filesIn(path, '', (n) => /\.ya?ml$/i.test(n))), ...(await filesIn(path, 'openshift', (n) => /\.ya?ml$/i.test(n)))];
    await readOpenShift(config, path, yamlFiles);
    // The first certs.d root that holds any hosts.toml is the one containerd would be pointed at.
    for (const root of ['containerd/certs.d', 'certs.d', '']) {
      const rootPath = root === '' ? path : join(path, ...root.split('/'));
      for (const folder of await foldersIn(rootPath)) {
        const file = root === '' ? `${folder}/hosts.toml` : `${root}/${folder}/hosts.toml`;
        if ((await kind(join(path, ...file.split('/')))) !== 'file') continue;
        config.hosts.set(folder, parseHostsToml(await readCappedText(join(path, ...file.split('/')), file), file, folder));
        addFile(config, 'hosts.toml', file);
      }
      if (config.hosts.size > 0) break;
    }
  }
  config.formats = FORMAT_ORDER.filter((format) => (config.files[format]?.length ?? 0) > 0);
  if (config.formats.length === 0)
    throw new FerryError('INVALID_ARGUMENT', `${path} holds no mirror configuration: no registries.conf, ImageDigestMirrorSet, ImageTagMirrorSet, ImageContentSourcePolicy or containerd hosts.toml`, {
      path,
    });
  return config;
}

/**
 * Where each format present sends a pull of `repository` (`host/path`, as
 * normalised by the reference parser) by `digest` — or by `tag` for ITMS,
 * which serves tag pulls only (undefined: ITMS is not resolved).
 */
export function resolvePull(config: MirrorConfiguration, repository: string, digest: string, tag?: string): Resolution[] {
  const out: Resolution[] = [];
  for (const format of config.formats) {
    if (format === 'hosts.toml') {
      out.push(resolveContainerd(config, repository));
      continue;
    }
    if (format === 'ITMS' && tag === undefined) continue;
    const reference = format === 'ITMS' ? `${repository}:${tag ?? ''}` : `${repository}@${digest}`;
    const rule = findRule(config.rules[format] ?? [], reference);
    if (rule === undefined) {
      out.push({ format, candidates: [] });
      continue;
    }
    out.push({ format, rule: rule.prefix, file: rule.file, ...(rule.blocked ? { blocked: true } : {}), candidates: rule.blocked ? [] : pullCandidates(rule, reference) });
  }
  return out;
}

/** containerd: the source host's folder (or `_default`), its endpoints that may pull, in order. */
function resolveContainerd(config: MirrorConfiguration, repository: string): Resolution {
  const slash = repository.indexOf('/');
  const host = repository.slice(0, slash);
  const path = repository.slice(slash + 1);
  for (const folder of hostFolderCandidates(host)) {
    const hosts = config.hosts.get(folder);
    if (hosts === undefined) continue;
    return {
      format: 'hosts.toml',
      rule: folder,
      file: hosts.file,
      candidates: hosts.endpoints.filter((endpoint) => endpoint.canPull).map((endpoint) => endpointCandidate(endpoint, host, path)),
    };
  }
  return { format: 'hosts.toml', candidates: [] };
}
