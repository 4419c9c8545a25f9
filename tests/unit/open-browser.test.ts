/**
 * How `ferry ui` hands the browser its address: the opener command (BROWSER
 * honoured, only the file URL in the arguments), the private folder, and the
 * redirect file itself, on the real file system.
 */
import { mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openerCommand, redirectFolder, writeRedirectFile } from '../../src-main/server/open-browser.ts';

const FILE = 'file:///run/user/1000/ferry/ferry-ui-1-ab-open.html';

describe('openerCommand', () => {
  it('uses BROWSER when set: the first of a list, %s replaced, else the file appended', () => {
    expect(openerCommand(FILE, { BROWSER: '/usr/bin/firefox' }, 'linux')).toEqual(['/usr/bin/firefox', [FILE]]);
    expect(openerCommand(FILE, { BROWSER: 'chromium --incognito:firefox' }, 'linux')).toEqual(['chromium', ['--incognito', FILE]]);
    expect(openerCommand(FILE, { BROWSER: 'w3m %s' }, 'linux')).toEqual(['w3m', [FILE]]);
  });

  it("falls back to the platform's opener", () => {
    expect(openerCommand(FILE, {}, 'linux')).toEqual(['xdg-open', [FILE]]);
    expect(openerCommand(FILE, { BROWSER: '' }, 'darwin')).toEqual(['open', [FILE]]);
    expect(openerCommand(FILE, {}, 'win32')).toEqual(['cmd', ['/c', 'start', '""', FILE]]);
  });
});

describe('redirectFolder', () => {
  it('prefers the per-user runtime folder, else the data folder', () => {
    expect(redirectFolder({ XDG_RUNTIME_DIR: '/run/user/1000' }, 'linux', '/home/u')).toBe('/run/user/1000/ferry');
    expect(redirectFolder({ XDG_RUNTIME_DIR: 'relative' }, 'linux', '/home/u')).toBe('/home/u/.local/share/ferry/runtime');
    expect(redirectFolder({}, 'linux', '/home/u')).toBe('/home/u/.local/share/ferry/runtime');
  });
});

describe('writeRedirectFile', () => {
  const url = 'http://127.0.0.1:4242/?token=' + 'a'.repeat(64);

  it('writes a 0600 page that sends the browser on, in a folder it makes private, and removes it', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'ferry-redirect-'));
    const folder = join(parent, 'open');
    mkdirSync(folder, { mode: 0o755 });
    await chmod(folder, 0o755);
    const file = await writeRedirectFile(url, folder);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    expect(file.path).toMatch(/ferry-ui-\d+-[0-9a-f]{12}-open\.html$/);
    expect(readFileSync(file.path, 'utf8')).toContain(`<meta http-equiv="refresh" content="0;url=${url}">`);
    await file.remove();
    expect(() => statSync(file.path)).toThrow();
  });

  it('refuses a folder that is a symlink', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'ferry-redirect-'));
    mkdirSync(join(parent, 'elsewhere'));
    symlinkSync(join(parent, 'elsewhere'), join(parent, 'open'));
    await expect(writeRedirectFile(url, join(parent, 'open'))).rejects.toThrow(/not a folder/);
  });
});
