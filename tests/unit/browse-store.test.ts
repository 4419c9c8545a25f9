/**
 * The browser's walk down an image's files when the image names its folders
 * like Object.prototype members (`__proto__`, `constructor`): each is listed
 * when first opened and folds like any other. The client answers from a
 * fixed listing in place of the service (the store is what is tested here).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApiClient, BrowseFileEntry, BrowseManifest } from '../../src-shared/api/contract.ts';
import { useBrowse } from '../../src-renderer/stores/browse-store.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const entry = (path: string, type: BrowseFileEntry['type'] = 'file'): BrowseFileEntry => ({ path, type, size: type === 'dir' ? 0 : 1, mode: 0o644 });

/** One image whose root holds the awkward folders, each with one file; records which folders were asked for. */
function fixedClient(asked: string[]): ApiClient {
  const manifest: BrowseManifest = {
    digest: DIGEST,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    platforms: [{ platform: 'linux/amd64', digest: DIGEST, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1 }],
  };
  const folders = ['__proto__', 'constructor', 'toString'];
  const answers: Partial<Record<string, (args: Record<string, unknown>) => unknown>> = {
    'browse:platforms': () => manifest,
    'browse:files': (args) => {
      const path = typeof args.path === 'string' ? args.path : '';
      asked.push(path);
      return { digest: DIGEST, entries: path === '' ? folders.map((name) => entry(name, 'dir')) : [entry(`${path}/inside`)] };
    },
  };
  return new Proxy({} as ApiClient, {
    get: (_target, method: string) => async (args: Record<string, unknown>) => {
      const answer = answers[method];
      if (!answer) throw new Error(`the test client does not answer ${method}`);
      return answer(args);
    },
  });
}

describe('the browse store', () => {
  let asked: string[];
  beforeEach(async () => {
    asked = [];
    useBrowse.getState().init(fixedClient(asked));
    useBrowse.setState({ kind: 'bundle', bundleText: '/bundle' });
    useBrowse.setState({ source: { kind: 'bundle', path: '/bundle' }, repository: 'example.com/app', error: null });
    await useBrowse.getState().chooseTag('v1');
  });

  it('lists and expands folders named __proto__, constructor and toString like any other, and folds them again', async () => {
    expect(asked).toEqual(['']);
    for (const folder of ['__proto__', 'constructor', 'toString']) {
      expect(useBrowse.getState().expanded.has(folder)).toBe(false);
      await useBrowse.getState().toggleFolder(folder);
      expect(useBrowse.getState().expanded.has(folder)).toBe(true);
      expect(
        useBrowse
          .getState()
          .tree?.get(folder)
          ?.map((node) => node.path),
      ).toEqual([`${folder}/inside`]);
    }
    expect(asked).toEqual(['', '__proto__', 'constructor', 'toString']);
    await useBrowse.getState().toggleFolder('constructor');
    expect(useBrowse.getState().expanded.has('constructor')).toBe(false);
    expect(useBrowse.getState().expanded.has('__proto__')).toBe(true);
    expect(useBrowse.getState().error).toBeNull();
  });
});
