/**
 * A Deckhouse registry built by code with the layout `d8 mirror pull` reads
 * (deckhouse-cli internal/layout.go): release channels at different versions
 * (each `release-channel:<channel>` image holds version.json with canary
 * settings and a changelog.yaml), platform tags with several patches per
 * minor, installer images whose `deckhouse/candi/images_digests.json` lists
 * dozens of component digests across several platform modules (the component
 * images live untagged in the root repository, two with a VEX attestation),
 * a second edition root whose alpha channel is suspended and whose installer
 * lists its components by tag (`images_tags.json`), five modules listed as
 * tags of `<root>/modules`, each with release channels, module images holding
 * their own `images_digests.json` and some an `extra_images.json`, and the
 * four vulnerability database images. Every image is a few hundred bytes;
 * deckhouse-fixture-components.ts makes the component lists.
 */
import { componentFiles, moduleFiles, PLATFORM_COMPONENTS, SUSPENDED_COMPONENTS, VEX_COMPONENTS, type ComponentImage } from './deckhouse-fixture-components.ts';
import { MediaTypes, describe, imageConfig, imageManifest, makeLayer } from './fixture-content.ts';
import type { Content, Descriptor } from './fixture-content.ts';
import type { RunningRegistry } from './registry.ts';
import { pushTree } from './registry-tree.ts';
import type { SkopeoCreds } from './skopeo.ts';

/** The edition root tests resolve by default. */
export const DECKHOUSE_ROOT = 'deckhouse/ee';
/** A second edition root whose alpha channel is suspended. */
export const SUSPENDED_ROOT = 'deckhouse/suspended';

/** What a release image's version.json says beyond the version. */
export interface ReleaseMeta {
  suspend?: boolean;
  requirements?: Record<string, string>;
  disruptions?: Record<string, string[]>;
}

/** One release repository: channels, the version tags of the image repository, which versions also have a release image, and metadata. */
interface ReleaseLine {
  /** The repository of the versioned images (`deckhouse/ee`, `deckhouse/ee/modules/console`). */
  image: string;
  /** The repository of release images (`…/release-channel` for the platform, `…/release` for modules). */
  release: string;
  channels: Record<string, string>;
  tags: string[];
  /** Versions that also have `<release>:<version>`. */
  releaseTags: string[];
  meta: Record<string, ReleaseMeta>;
  /** Extra repositories holding `:<version>` for some versions, e.g. `…/install`. */
  extras: Record<string, string[]>;
}

const CANARY = { alpha: { enabled: true, waves: 2, interval: '5m' }, stable: { enabled: true, waves: 6, interval: '30m' }, 'rock-solid': { enabled: false } };

/** The platform of the main root: channels spread over four minors, tags past the newest channel that must not be carried. */
const MAIN: ReleaseLine = {
  image: DECKHOUSE_ROOT,
  release: `${DECKHOUSE_ROOT}/release-channel`,
  channels: { 'rock-solid': 'v1.67.5', stable: 'v1.68.4', 'early-access': 'v1.69.2', beta: 'v1.70.1', alpha: 'v1.70.3' },
  tags: ['v1.66.0', 'v1.66.3', 'v1.67.0', 'v1.67.4', 'v1.67.5', 'v1.68.0', 'v1.68.2', 'v1.68.4', 'v1.69.0', 'v1.69.2', 'v1.69.4', 'v1.70.0', 'v1.70.1', 'v1.70.3', 'v1.70.5', 'v1.71.0'],
  // v1.68.4 has no versioned release image: its metadata comes from the stable channel.
  releaseTags: ['v1.66.3', 'v1.67.5', 'v1.69.2', 'v1.69.4', 'v1.70.1', 'v1.70.3'],
  meta: {
    'v1.66.3': { requirements: { k8s: '1.26' } },
    'v1.67.5': { requirements: { k8s: '1.27', migratedModules: '' } },
    'v1.68.4': { requirements: { k8s: '1.28', ingressNginx: '1.9' } },
    'v1.69.2': { requirements: { k8s: '1.28' } },
    'v1.69.4': { requirements: { k8s: '1.29' }, disruptions: { '1.69': ['ingressNginx'] } },
    'v1.70.1': { requirements: { k8s: '1.29', autoK8sVersion: '1.31' } },
    // A stale disruption key, as in the guide's example: it does not apply to 1.70.
    'v1.70.3': { requirements: { k8s: '1.29', autoK8sVersion: '1.31' }, disruptions: { '1.36': ['ingressNginx'] } },
  },
  // Every version has an installer image but v1.68.4 (whose components then cannot be found); install-standalone only the newest.
  extras: {
    [`${DECKHOUSE_ROOT}/install`]: ['v1.66.3', 'v1.67.5', 'v1.68.2', 'v1.69.2', 'v1.69.4', 'v1.70.1', 'v1.70.3'],
    [`${DECKHOUSE_ROOT}/install-standalone`]: ['v1.70.3'],
  },
};

/** The suspended root: only stable and alpha exist, alpha is suspended; no modules, no security databases. */
const SUSPENDED: ReleaseLine = {
  image: SUSPENDED_ROOT,
  release: `${SUSPENDED_ROOT}/release-channel`,
  channels: { stable: 'v1.69.1', alpha: 'v1.70.2' },
  tags: ['v1.69.0', 'v1.69.1', 'v1.70.0', 'v1.70.2'],
  releaseTags: ['v1.70.2'],
  meta: { 'v1.69.1': { requirements: { k8s: '1.28' } }, 'v1.70.2': { suspend: true, requirements: { k8s: '1.29' } } },
  extras: { [`${SUSPENDED_ROOT}/install`]: ['v1.69.1', 'v1.70.2'] },
};

/** A module's release line, in the module's own repositories. */
function moduleLine(name: string, channels: Record<string, string>, tags: string[], releaseTags: string[], meta: Record<string, ReleaseMeta> = {}): ReleaseLine {
  const image = `${DECKHOUSE_ROOT}/modules/${name}`;
  return { image, release: `${image}/release`, channels, tags, releaseTags, meta, extras: {} };
}

/** The five modules of the main root's listing. */
const MODULES: ReleaseLine[] = [
  // console: five channels over four minors, and tags beyond alpha.
  moduleLine(
    'console',
    { 'rock-solid': 'v1.34.1', stable: 'v1.35.2', 'early-access': 'v1.36.0', beta: 'v1.36.0', alpha: 'v1.37.1' },
    ['v1.34.0', 'v1.34.1', 'v1.35.0', 'v1.35.2', 'v1.35.3', 'v1.36.0', 'v1.36.1', 'v1.37.0', 'v1.37.1', 'v1.38.0'],
    ['v1.34.1', 'v1.35.2', 'v1.35.3', 'v1.36.0', 'v1.36.1', 'v1.37.1'],
    { 'v1.36.1': { requirements: { deckhouse: '>= 1.68' } } },
  ),
  moduleLine('commander-agent', { stable: 'v1.2.4', alpha: 'v1.3.0' }, ['v1.2.0', 'v1.2.4', 'v1.3.0'], ['v1.2.4', 'v1.3.0']),
  moduleLine('csi-nfs', { stable: 'v1.4.1', alpha: 'v1.5.0' }, ['v1.4.0', 'v1.4.1', 'v1.5.0'], ['v1.4.1', 'v1.5.0']),
  moduleLine('stronghold', { stable: 'v1.16.2', alpha: 'v1.17.0' }, ['v1.16.2', 'v1.17.0'], ['v1.16.2', 'v1.17.0']),
  moduleLine('virtualization', { stable: 'v0.15.3', alpha: 'v0.16.0', lts: 'v0.15.3' }, ['v0.15.3', 'v0.16.0'], ['v0.15.3', 'v0.16.0']),
];

/** The module names of the main root's listing (`deckhouse/ee/modules:<name>`). */
export const MODULE_NAMES: readonly string[] = MODULES.map((m) => m.image.slice(m.image.lastIndexOf('/') + 1));

/** The vulnerability databases and their fixed tags. */
const SECURITY: readonly [string, string][] = [
  ['trivy-db', '2'],
  ['trivy-java-db', '1'],
  ['trivy-checks', '0'],
  ['trivy-bdu', '1'],
];

/** One manifest to create, under a tag or (component images) by digest only. */
export interface DeckhousePush {
  repository: string;
  tag?: string;
  descriptor: Descriptor;
}

/** The whole layout: every tag and every blob, and what each listing image lists (by `repository:tag`). */
export interface DeckhouseFixture {
  pushes: DeckhousePush[];
  content: Content[];
  /** `deckhouse/ee/install:v1.70.3` → the component digests (or tags) its list names; the same for module images. */
  lists: Map<string, string[]>;
}

const AMD64 = { architecture: 'amd64', os: 'linux' };

/** version.json as Deckhouse writes it (fields version, suspend, requirements, disruptions, canary). */
export function versionJson(version: string, meta: ReleaseMeta = {}): Buffer {
  return Buffer.from(
    `${JSON.stringify(
      {
        canary: CANARY,
        requirements: meta.requirements ?? {},
        disruptions: meta.disruptions ?? {},
        version,
        ...(meta.suspend ? { suspend: true } : {}),
      },
      null,
      2,
    )}\n`,
  );
}

/** changelog.yaml as Deckhouse writes it: sections of features and fixes, some with an impact. */
export function changelogYaml(version: string): Buffer {
  return Buffer.from(
    [
      'candi:',
      '  fixes:',
      `    - summary: fixture fix in ${version}`,
      '      pull_request: https://github.com/deckhouse/deckhouse/pull/1',
      'ingress-nginx:',
      '  features:',
      `    - summary: fixture feature in ${version}`,
      '      impact: ingress controllers restart',
      '',
    ].join('\n'),
  );
}

/** Builds the layout; same bytes on every run. */
export async function buildDeckhouseFixture(): Promise<DeckhouseFixture> {
  const content = new Map<string, Content>();
  const pushes: DeckhousePush[] = [];
  const lists = new Map<string, string[]>();
  const listed =
    (at: string) =>
    async (c: ComponentImage): Promise<string> => {
      const digest = await component(at.slice(0, at.lastIndexOf(':')).replace(/\/install$/, ''), c);
      lists.set(at, [...(lists.get(at) ?? []), c.tag ?? digest]);
      return digest;
    };
  const cache = new Map<string, Descriptor>();

  const image = async (label: string, files: { name: string; data: Buffer }[]): Promise<Descriptor> => {
    const key = `${label}\n${files.map((f) => `${f.name}=${f.data.toString('base64')}`).join('\n')}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const layer = await makeLayer(MediaTypes.ociLayerGzip, files);
    const config = imageConfig(MediaTypes.ociConfig, AMD64, [layer], label);
    const manifest = imageManifest(MediaTypes.ociManifest, config, [layer.content]);
    for (const c of [layer.content, config, manifest]) content.set(c.digest, c);
    const descriptor = describe(manifest);
    cache.set(key, descriptor);
    return descriptor;
  };
  const pushed = new Set<string>();
  const push = (repository: string, tag: string | undefined, descriptor: Descriptor): void => {
    const key = `${repository}:${tag ?? descriptor.digest}`;
    if (pushed.has(key)) return;
    pushed.add(key);
    pushes.push({ repository, ...(tag !== undefined ? { tag } : {}), descriptor });
  };
  const release = (line: ReleaseLine, version: string): Promise<Descriptor> =>
    image(`${line.release}:${version}`, [
      { name: 'version.json', data: versionJson(version, line.meta[version]) },
      { name: 'changelog.yaml', data: changelogYaml(version) },
    ]);
  /** A component image: untagged by default, as the registry holds them; the digest lands in the lists. */
  const component = async (repository: string, c: ComponentImage): Promise<string> => {
    // One shared layer, a config of its own: every component has its own digest, and seeding uploads one blob per component, not two.
    const descriptor = await image(`${repository} component ${c.id}`, [{ name: 'bin/component', data: Buffer.from('component\n') }]);
    push(repository, c.tag, descriptor);
    if (VEX_COMPONENTS.has(c.id))
      push(repository, `sha256-${descriptor.digest.slice('sha256:'.length)}.att`, await image(`vex ${c.id}`, [{ name: 'vex.json', data: Buffer.from(`{"vex":"${c.id}"}`) }]));
    return descriptor.digest;
  };

  for (const line of [MAIN, SUSPENDED, ...MODULES]) {
    const moduleName = line.image.startsWith(`${DECKHOUSE_ROOT}/modules/`) ? line.image.slice(`${DECKHOUSE_ROOT}/modules/`.length) : undefined;
    for (const tag of line.tags) {
      const files: { name: string; data: Buffer }[] = [{ name: 'deckhouse/version', data: Buffer.from(`${tag}\n`) }];
      // A module image lists its own components and extra images.
      if (moduleName !== undefined)
        files.push(
          ...(await moduleFiles(moduleName, tag, listed(`${line.image}:${tag}`), (extra, t) =>
            image(`${line.image}/extra/${extra}:${t}`, [{ name: 'extra', data: Buffer.from(`${extra}:${t}\n`) }]).then((d) => push(`${line.image}/extra/${extra}`, t, d)),
          )),
        );
      push(line.image, tag, await image(`${line.image}:${tag}`, files));
    }
    for (const version of line.releaseTags) push(line.release, version, await release(line, version));
    // A channel tag is the same image as the versioned release image it points at.
    for (const [channel, version] of Object.entries(line.channels)) push(line.release, channel, await release(line, version));
    for (const [repository, tags] of Object.entries(line.extras)) {
      for (const tag of tags) {
        const files: { name: string; data: Buffer }[] = [{ name: 'installer/version', data: Buffer.from(`${tag}\n`) }];
        // The installer image lists the platform's components (deckhouse/candi/images_digests.json or images_tags.json).
        if (repository.endsWith('/install')) files.push(await componentFiles(line === SUSPENDED ? SUSPENDED_COMPONENTS : PLATFORM_COMPONENTS, tag, listed(`${repository}:${tag}`)));
        push(repository, tag, await image(`${repository}:${tag}`, files));
      }
    }
  }
  for (const name of MODULE_NAMES) push(`${DECKHOUSE_ROOT}/modules`, name, await image(`module listing ${name}`, [{ name: 'module', data: Buffer.from(`${name}\n`) }]));
  for (const [name, tag] of SECURITY) {
    const repository = `${DECKHOUSE_ROOT}/security/${name}`;
    push(repository, tag, await image(`${repository}:${tag}`, [{ name: `db/${name}.db`, data: Buffer.from(`${name} fixture database\n`) }]));
  }
  return { pushes, content: [...content.values()], lists };
}

/** Seeds the layout with Ferry's registry client: component images by digest, everything else under its tag. */
export async function seedDeckhouseFixture(registry: RunningRegistry, fixture: DeckhouseFixture, options: { creds?: SkopeoCreds; concurrency?: number } = {}): Promise<void> {
  const creds = typeof options.creds === 'object' && options.creds !== null ? options.creds : undefined;
  await pushTree(registry, fixture.pushes, fixture.content, { ...(creds ? { creds } : {}), ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}) });
}
