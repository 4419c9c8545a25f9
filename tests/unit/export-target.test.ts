/**
 * The export wizard's "where" check (issue 17): a folder that cannot be
 * written is refused on the step where it is typed, naming why, and the free
 * space of its drive is reported so the wizard can compare it with the plan.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkExportTarget } from '../../src-main/usecases/export-target.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-target-'));
  await writeFile(join(dir, 'a-file'), 'not a folder');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checkExportTarget', () => {
  it('accepts a folder that does not exist yet under a writable one, with the free space of its drive', async () => {
    const check = await checkExportTarget(join(dir, 'usb', 'bundle'));
    expect(check.writable).toBe(true);
    expect(check.problem).toBeUndefined();
    expect(check.freeBytes).toBeGreaterThan(0);
  });

  it('refuses a folder under a file, naming the file', async () => {
    const check = await checkExportTarget(join(dir, 'a-file', 'bundle'));
    expect(check).toMatchObject({ writable: false, problem: expect.stringContaining(`${join(dir, 'a-file')} is a file, not a folder`) as unknown });
  });

  it('refuses an empty or relative path in words', async () => {
    expect((await checkExportTarget('  ')).writable).toBe(false);
    expect(await checkExportTarget('usb/bundle')).toMatchObject({ writable: false, problem: expect.stringContaining('not a full path') as unknown });
  });
});
