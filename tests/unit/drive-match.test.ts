/** Which removable drive a bundle lies on, for the export wizard's "Safely remove drive". */
import { describe, expect, it } from 'vitest';
import type { DriveInfo } from '../../src-shared/api/contract.ts';
import { driveHolding } from '../../src-renderer/drive-match.ts';

const drive = (path: string): DriveInfo => ({ path, label: path, fsType: 'vfat', freeBytes: 1, sizeBytes: 2, removable: true, advice: null });

describe('driveHolding', () => {
  const drives = [drive('/media/me/USB'), drive('/media/me/USB 2'), drive('/media/me/USB/inner'), drive('E:\\'), drive('/Volumes/STICK')];
  it('matches the mount point itself and paths under it, the deepest mount first', () => {
    expect(driveHolding('/media/me/USB', drives)?.path).toBe('/media/me/USB');
    expect(driveHolding('/media/me/USB/bundle', drives)?.path).toBe('/media/me/USB');
    expect(driveHolding('/media/me/USB 2/bundle', drives)?.path).toBe('/media/me/USB 2');
    expect(driveHolding('/media/me/USB/inner/b', drives)?.path).toBe('/media/me/USB/inner');
    expect(driveHolding('E:\\bundle', drives)?.path).toBe('E:\\');
    expect(driveHolding('  /Volumes/STICK/june ', drives)?.path).toBe('/Volumes/STICK');
  });
  it('does not match a sibling with the same prefix, another folder, or nothing', () => {
    expect(driveHolding('/media/me/USB-old/bundle', drives)).toBeUndefined();
    expect(driveHolding('/tmp/bundle', drives)).toBeUndefined();
    expect(driveHolding('', drives)).toBeUndefined();
  });
});
