/**
 * The files Deckhouse images hold, read strictly: component lists
 * (images_digests.json, images_tags.json, extra_images.json), version.json and
 * changelog.yaml. A malformed file is INVALID_CONTENT naming the image and the file.
 */
import { describe, expect, it } from 'vitest';
import { parseExtraImages, parseImageDigests, parseImageTags, vexTag } from '../../src-main/sources/deckhouse-components.ts';
import { parseChangelog, parseReleaseInfo, releaseDetails } from '../../src-main/sources/deckhouse-release.ts';
import { shortTag } from '../../src-main/sources/deckhouse-reads.ts';
import { failure } from '../harness/test-helpers.ts';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const SUBJECT = 'r.example/deckhouse/ee/install:v1.70.3 deckhouse/candi/images_digests.json';

/** The error a synchronous parse throws, as a FerryError. */
const refused = (parse: () => unknown) => failure(Promise.resolve().then(parse));

describe('component lists', () => {
  it('images_digests.json: every digest of every module once, nested or flat', () => {
    expect(parseImageDigests(json({ common: { init: D1, pause: D2 }, ingressNginx: { controller: D1 } }), SUBJECT)).toEqual([D1, D2]);
    expect(parseImageDigests(json({ backend: D2 }), SUBJECT)).toEqual([D2]);
    expect(parseImageTags(json({ common: { init: 'common-init-1' } }), SUBJECT)).toEqual(['common-init-1']);
  });

  it('extra_images.json: a string or whole-number tag per extra image', () => {
    expect(parseExtraImages(json({ scanner: 3, 'nfs-utils': 'v2.6' }), SUBJECT)).toEqual([
      { name: 'scanner', tag: '3' },
      { name: 'nfs-utils', tag: 'v2.6' },
    ]);
  });

  it.each([
    ['not JSON', Buffer.from('{"common": {'), SUBJECT],
    ['a value that is no digest', json({ common: { init: 'latest' } }), '$.common'],
    ['a duplicate key', Buffer.from(`{"common": {"init": "${D1}", "init": "${D2}"}}`), SUBJECT],
  ])('images_digests.json with %s is INVALID_CONTENT naming the image and the file', async (_why, bytes, part) => {
    const error = await refused(() => parseImageDigests(bytes, SUBJECT));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain(SUBJECT);
    expect(error.message).toContain(part);
  });

  it('extra_images.json with a bad name or tag is INVALID_CONTENT', async () => {
    for (const bad of [{ Scanner: '1' }, { scanner: 'a b' }, { scanner: 1.5 }, { scanner: null }]) {
      const error = await refused(() => parseExtraImages(json(bad), 'm:v1 extra_images.json'));
      expect(error.code).toBe('INVALID_CONTENT');
      expect(error.message).toContain('m:v1 extra_images.json');
    }
  });

  it('d8 names a digest image by its hex and its attestation sha256-<hex>.att', () => {
    expect(shortTag(D1)).toBe('1'.repeat(64));
    expect(vexTag(D1)).toBe(`sha256-${'1'.repeat(64)}.att`);
  });
});

describe('release files', () => {
  it('version.json: requirements, disruptions, canary of enabled channels', () => {
    const info = parseReleaseInfo(
      json({
        version: 'v1.70.3',
        requirements: { k8s: '1.29', empty: '' },
        disruptions: { '1.70': ['ingressNginx'] },
        canary: { alpha: { enabled: true, waves: 2, interval: '5m' }, stable: { enabled: false } },
      }),
      'rc:v1.70.3',
    );
    expect(info.requirements).toEqual({ k8s: '1.29' });
    expect(info.canary).toEqual({ alpha: { waves: 2, interval: '5m' } });
    expect(releaseDetails('v1.70.3', info)).toEqual(['v1.70.3 canary: alpha 2 waves every 5m']);
  });

  it('a malformed version.json is INVALID_CONTENT naming the image and the file', async () => {
    for (const bytes of [Buffer.from('{'), json({ version: 'latest' }), json({ requirements: {} })]) {
      const error = await refused(() => parseReleaseInfo(bytes, 'r.example/deckhouse/ee/release-channel:alpha'));
      expect(error.code).toBe('INVALID_CONTENT');
      expect(error.message).toContain('r.example/deckhouse/ee/release-channel:alpha version.json');
    }
  });

  it('changelog.yaml: features and fixes counted per section, impacts kept in full', () => {
    const log = parseChangelog(Buffer.from('candi:\n  fixes:\n    - summary: a\n    - summary: b\nnode-manager:\n  features:\n    - summary: c\n      impact: nodes reboot\n'), 'rc:v1');
    expect(log).toEqual({ features: 1, fixes: 2, sections: ['candi', 'node-manager'], impacts: [{ section: 'node-manager', text: 'nodes reboot' }] });
  });

  it('a changelog that is not YAML, or not a changelog, is INVALID_CONTENT naming the image and the file', async () => {
    for (const text of ['candi: [unclosed', 'candi:\n  fixes: 3\n']) {
      const error = await refused(() => parseChangelog(Buffer.from(text), 'rc:v1'));
      expect(error.code).toBe('INVALID_CONTENT');
      expect(error.message).toContain('rc:v1 changelog.yaml');
    }
  });
});
