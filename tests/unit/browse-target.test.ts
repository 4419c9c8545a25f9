import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBrowseTarget, targetImage } from '../../src-main/cli/browse-target.ts';
import { FerryError } from '../../src-shared/errors.ts';

describe('parseBrowseTarget', () => {
  it('reads a bare host as a registry and a path below it as a repository or image', () => {
    expect(parseBrowseTarget('127.0.0.1:5000')).toEqual({ source: { kind: 'registry', registry: '127.0.0.1:5000' } });
    expect(parseBrowseTarget('quay.io/')).toEqual({ source: { kind: 'registry', registry: 'quay.io' } });
    expect(parseBrowseTarget('127.0.0.1:5000/deckhouse/ee')).toEqual({ source: { kind: 'registry', registry: '127.0.0.1:5000' }, repository: 'deckhouse/ee' });
    expect(parseBrowseTarget('127.0.0.1:5000/deckhouse/ee:v1.70')).toMatchObject({ repository: 'deckhouse/ee', tag: 'v1.70' });
    expect(parseBrowseTarget('nginx')).toEqual({ source: { kind: 'registry', registry: 'docker.io' }, repository: 'library/nginx' });
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseBrowseTarget(`quay.io/org/app@${digest}`)).toEqual({ source: { kind: 'registry', registry: 'quay.io' }, repository: 'org/app', digest });
  });

  it('reads a path, oci:DIR or an existing folder as a bundle, and what follows the first colon as the image name in it', () => {
    expect(parseBrowseTarget('./bundle')).toEqual({ source: { kind: 'bundle', path: './bundle' } });
    expect(parseBrowseTarget('/media/usb/b:127.0.0.1:5000/deckhouse/ee/release-channel:stable')).toEqual({
      source: { kind: 'bundle', path: '/media/usb/b' },
      repository: '127.0.0.1:5000/deckhouse/ee/release-channel',
      tag: 'stable',
    });
    expect(parseBrowseTarget('oci:b:quay.io/org/app')).toEqual({ source: { kind: 'bundle', path: 'b' }, repository: 'quay.io/org/app' });
    expect(parseBrowseTarget('C:\\bundle:quay.io/org/app:v1')).toMatchObject({ source: { kind: 'bundle', path: 'C:\\bundle' }, tag: 'v1' });
    const folder = mkdtempSync(join(tmpdir(), 'ferry-target-'));
    const relative = folder.slice(folder.lastIndexOf('/') + 1);
    const before = process.cwd();
    process.chdir(tmpdir());
    try {
      expect(parseBrowseTarget(`${relative}:quay.io/a:1`)).toMatchObject({ source: { kind: 'bundle', path: relative }, repository: 'quay.io/a', tag: '1' });
    } finally {
      process.chdir(before);
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('refuses a registry or bundle where an image is needed, naming how to name one', () => {
    const error = (() => {
      try {
        targetImage(parseBrowseTarget('./bundle'), './bundle');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(FerryError);
    expect((error as FerryError).message).toContain('DIR:NAME');
    expect(targetImage(parseBrowseTarget('quay.io/org/app'), 'quay.io/org/app')).toEqual({ repository: 'org/app' });
  });
});
