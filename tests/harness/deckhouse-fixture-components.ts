/**
 * The component lists of the Deckhouse fixture (deckhouse-fixture.ts): which
 * component images each installer and module version lists, in the files and
 * shapes Deckhouse writes them (`deckhouse/candi/images_digests.json`
 * `{ "<module>": { "<image>": "sha256:…" } }`, `images_tags.json` of the same
 * shape with tags, a module's `images_digests.json` and `extra_images.json`).
 * Some images change with every minor and others never, so versions share
 * most of their components, as real releases do.
 */

/** One component image: a stable id (its content) and, for tag-listed components, the tag it is pushed under. */
export interface ComponentImage {
  id: string;
  tag?: string;
}

/** The components of one installer image family. */
export interface PlatformComponents {
  /** Platform module → its images. */
  modules: Record<string, string[]>;
  /** Modules whose images change with every minor. */
  changing: ReadonlySet<string>;
  /** `digests`: images_digests.json, components untagged; `tags`: images_tags.json, components tagged. */
  form: 'digests' | 'tags';
}

/** The main root's platform: 5 modules, 22 images, ingress-nginx and node-manager new in every minor. */
export const PLATFORM_COMPONENTS: PlatformComponents = {
  modules: {
    common: ['init', 'kube-rbac-proxy', 'pause', 'shell-operator'],
    controlPlaneManager: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd', 'control-plane-manager'],
    ingressNginx: ['controller', 'kruise', 'proxy-failover', 'validator'],
    nodeManager: ['bashible-apiserver', 'cluster-autoscaler', 'machine-controller-manager', 'early-oom'],
    cniCilium: ['agent', 'operator', 'hubble-relay', 'safe-agent-updater', 'egress-gateway'],
  },
  changing: new Set(['ingressNginx', 'nodeManager']),
  form: 'digests',
};

/** The suspended root's installer lists its few components by tag, as newer installers do. */
export const SUSPENDED_COMPONENTS: PlatformComponents = {
  modules: { common: ['init', 'pause'], registrypackages: ['d8'] },
  changing: new Set(['registrypackages']),
  form: 'tags',
};

/** Module name → its component images and, per version, its extra images (`extra_images.json`). */
export const MODULE_COMPONENTS: Record<string, { images: string[]; extras?: (version: string) => Record<string, string | number> | undefined }> = {
  console: { images: ['backend', 'frontend'] },
  'commander-agent': { images: ['agent'], extras: () => ({ scanner: 3 }) },
  'csi-nfs': { images: ['controller', 'node', 'nfs-utils-installer'], extras: () => ({ 'nfs-utils': 'v2.6' }) },
  stronghold: { images: ['stronghold'] },
  virtualization: { images: ['controller', 'handler', 'api', 'dvcr'], extras: (v) => (v === 'v0.16.0' ? { dvcr: 'v0.16.0' } : undefined) },
};

/** Components that have a VEX attestation (`<repo>:sha256-<hex>.att`) beside them. */
export const VEX_COMPONENTS: ReadonlySet<string> = new Set(['common-init-base', 'ingressNginx-controller-70', 'virtualization-api-16']);

/** The minor of `vX.Y.Z`, as a component generation. */
function minor(version: string): string {
  return version.split('.')[1] ?? '0';
}

/** An installer's list file, after every component it names is created through `component` (which answers its digest). */
export async function componentFiles(spec: PlatformComponents, version: string, component: (c: ComponentImage) => Promise<string>): Promise<{ name: string; data: Buffer }> {
  const doc: Record<string, Record<string, string>> = {};
  for (const [module, images] of Object.entries(spec.modules)) {
    doc[module] = {};
    for (const name of images) {
      const id = `${module}-${name}-${spec.changing.has(module) ? minor(version) : 'base'}`;
      const tag = spec.form === 'tags' ? id.toLowerCase() : undefined;
      const digest = await component({ id, ...(tag !== undefined ? { tag } : {}) });
      doc[module][name.replace(/-./g, (m) => (m[1] ?? '').toUpperCase())] = tag ?? digest;
    }
  }
  const name = spec.form === 'tags' ? 'deckhouse/candi/images_tags.json' : 'deckhouse/candi/images_digests.json';
  return { name, data: Buffer.from(`${JSON.stringify(doc, null, 2)}\n`) };
}

/** A module image's images_digests.json and, where the module has extra images, extra_images.json (each extra image created through `extra`). */
export async function moduleFiles(
  module: string,
  version: string,
  component: (c: ComponentImage) => Promise<string>,
  extra: (name: string, tag: string) => Promise<void>,
): Promise<Array<{ name: string; data: Buffer }>> {
  const spec = MODULE_COMPONENTS[module];
  if (!spec) return [];
  const digests: Record<string, string> = {};
  for (const name of spec.images) digests[name] = await component({ id: `${module}-${name}-${minor(version)}` });
  const files = [{ name: 'images_digests.json', data: Buffer.from(`${JSON.stringify({ [module]: digests }, null, 2)}\n`) }];
  const extras = spec.extras?.(version);
  if (extras) {
    for (const [name, tag] of Object.entries(extras)) await extra(name, String(tag));
    files.push({ name: 'extra_images.json', data: Buffer.from(`${JSON.stringify(extras, null, 2)}\n`) });
  }
  return files;
}
