/**
 * Export channels in the catalog (issue 14): the channel a bundle's ferry.json
 * names is recorded on export and import, and highestSequence answers per
 * channel and direction, what export numbering and rollback refusal rest on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/catalog/index.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
let uuid = 0;
const nextId = (): string => `00000000-0000-4000-8000-${(uuid += 1).toString(16).padStart(12, '0')}`;

function manifest(sequence: number, channel?: string): BundleManifest {
  return {
    formatVersion: 1,
    bundleId: nextId(),
    sequence,
    created: '2026-12-01T10:00:00.000Z',
    exporter: { host: 'h', user: 'u', ferryVersion: '0.1.0' },
    form: 'directory',
    imageSet: { references: [], lists: [], platforms: [] },
    images: [],
    blobs: [{ digest: digest(sequence), size: 10 }],
    parts: [],
    parent: null,
    ...(channel !== undefined ? { channel } : {}),
  };
}

let dir: string;
let path: string;
let catalog: Catalog;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-catalog-channel-'));
  path = join(dir, 'catalog.sqlite');
  catalog = Catalog.open(path);
});
afterEach(async () => {
  catalog.close();
  await rm(dir, { recursive: true, force: true });
});

const record = (m: BundleManifest, direction: 'export' | 'import'): void => catalog.recordBundle(m, { path: `/media/${m.bundleId}`, direction, manifestDigest: digest(1000 + m.sequence) });

describe('highestSequence', () => {
  it('is per channel and direction; a channel without bundles has none', () => {
    expect(catalog.highestSequence('host-a/images')).toBeUndefined();
    record(manifest(1, 'host-a/images'), 'export');
    record(manifest(4, 'host-a/images'), 'export');
    record(manifest(9, 'host-b/images'), 'export');
    const imported = manifest(3, 'host-a/images');
    record(imported, 'import');
    record(manifest(7), 'import');
    expect(catalog.highestSequence('host-a/images', 'export')).toBe(4);
    expect(catalog.highestSequence('host-a/images', 'import')).toBe(3);
    expect(catalog.highestSequence('host-a/images')).toBe(4);
    expect(catalog.highestSequence('host-b/images', 'import')).toBeUndefined();
    expect(catalog.highestSequence('host-a/images', 'import', imported.bundleId)).toBeUndefined();
  });

  it('the channel is stored in the bundles row', () => {
    const m = manifest(2, 'plant-7/deckhouse');
    record(m, 'import');
    catalog.close();
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.prepare('SELECT channel FROM bundles WHERE id = ?').pluck().get(m.bundleId)).toBe('plant-7/deckhouse');
    } finally {
      raw.close();
    }
    catalog = Catalog.open(path);
  });
});
