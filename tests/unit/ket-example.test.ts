import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImageSet } from '../../src-main/sources/image-set.ts';

describe('resources/image-sets/ket-example', () => {
  it('passes the image set schema with its files:, packageRepositories: and charts: entries', async () => {
    const set = await readImageSet(join(process.cwd(), 'resources', 'image-sets', 'ket-example', 'ket.yaml'));
    expect(set.sections.packageRepositories).toEqual([{ path: 'debs', target: { path: 'ket/packages', tag: 'v1.6' }, kind: 'apt' }]);
    expect(set.sections.files?.map((f) => `${f.target.path}:${f.target.tag}`)).toEqual(['ket/docs:v1.6', 'ket/installer:v1.6.0']);
    expect(set.sections.charts?.map((c) => ({ ...c, repository: c.repository.kind === 'http' ? c.repository.url.href : c.repository }))).toEqual([
      { repository: 'https://kubernetes.github.io/ingress-nginx', name: 'ingress-nginx', version: { exact: '4.11.3' }, images: true },
    ]);
    expect(set.sections.imageLists).toHaveLength(1);
  });
});
