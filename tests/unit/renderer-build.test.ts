/**
 * When `npm start`, `ferry ui` and the install build the app's pages: only
 * when the build is missing or older than one of its sources, and never
 * without the sources beside the code (an installed copy of the builds).
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rendererState } from '../../src-main/server/renderer-build.ts';

const root = mkdtempSync(join(tmpdir(), 'ferry-renderer-build-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes a file with its modification time `secondsAgo` in the past. */
function file(path: string, secondsAgo: number): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), path);
  const when = Date.now() / 1000 - secondsAgo;
  utimesSync(join(root, path), when, when);
}

describe('rendererState', () => {
  it('is no-sources, then missing, current, and stale once any source is newer than the build', () => {
    expect(rendererState(root)).toBe('no-sources');
    file('src-renderer/index.html', 100);
    file('src-renderer/screens/Start.tsx', 100);
    file('src-shared/api/contract.ts', 100);
    file('vite.config.renderer.ts', 100);
    expect(rendererState(root)).toBe('missing');
    file('dist/renderer/index.html', 50);
    expect(rendererState(root)).toBe('current');
    file('src-shared/api/contract.ts', 10);
    expect(rendererState(root)).toBe('stale');
    file('dist/renderer/index.html', 5);
    file('src-renderer/screens/Start.tsx', 1);
    expect(rendererState(root)).toBe('stale');
  });
});
