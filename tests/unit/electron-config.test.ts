/**
 * The desktop app's hardening that cannot be run here (no Electron binary),
 * checked as data: the fuses electron-builder flips in the packaged binary
 * (electron-builder.yml, against the installed electron-builder's schema),
 * and the session's permission policy that main.ts installs.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { denyAllPermissions, type PermissionSession } from '../../src-main/app/session-policy.ts';

const require = createRequire(import.meta.url);

describe('electron-builder.yml fuses', () => {
  const config = parse(readFileSync('electron-builder.yml', 'utf8')) as { electronFuses?: Record<string, unknown>; asar?: unknown };
  const schema = require('app-builder-lib/scheme.json') as { definitions: { FuseOptionsV1: { properties: Record<string, unknown> } } };

  it('turns off running as Node, NODE_OPTIONS and the inspector, and loads the app only from a checked asar', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    // onlyLoadAppFromAsar needs the app packed as an asar (electron-builder's default): it must not be switched off.
    expect(config.asar).not.toBe(false);
  });

  it('names only fuses the installed electron-builder knows (a misspelt key would be ignored by no one but us)', () => {
    const known = Object.keys(schema.definitions.FuseOptionsV1.properties);
    expect(Object.keys(config.electronFuses ?? {}).filter((key) => !known.includes(key))).toEqual([]);
  });
});

describe('the session permission policy', () => {
  /** A session that keeps the handlers it is given, as Electron's would. */
  function recordingSession(): PermissionSession & { check?: (...args: never[]) => boolean; request?: (...args: never[]) => void; device?: (...args: never[]) => boolean } {
    const session: ReturnType<typeof recordingSession> = {
      setPermissionCheckHandler: (handler) => void (session.check = handler as never),
      setPermissionRequestHandler: (handler) => void (session.request = handler as never),
      setDevicePermissionHandler: (handler) => void (session.device = handler as never),
    };
    return session;
  }

  it('denies every permission check, every request and every device', () => {
    const session = recordingSession();
    denyAllPermissions(session);
    for (const permission of ['media', 'notifications', 'clipboard-read', 'clipboard-sanitized-write', 'geolocation', 'fullscreen', 'hid', 'serial', 'usb', 'openExternal', 'unknown']) {
      expect(session.check?.(...([null, permission, 'app://ferry', {}] as never[])), permission).toBe(false);
      const answers: boolean[] = [];
      session.request?.(...([null, permission, (granted: boolean) => answers.push(granted), {}] as never[]));
      expect(answers, permission).toEqual([false]);
    }
    expect(session.device?.(...([{ deviceType: 'usb', origin: 'app://ferry' }] as never[]))).toBe(false);
  });

  it('is installed on the default session by main.ts (which needs the Electron binary, so it is read as text)', () => {
    const main = readFileSync('src-main/app/main.ts', 'utf8');
    expect(main).toMatch(/^\s*denyAllPermissions\(session\.defaultSession\);$/m);
    // Installed before the window opens, so no page ever runs without it.
    expect(main.indexOf('denyAllPermissions(session.defaultSession)')).toBeLessThan(main.indexOf('const window = createWindow()'));
  });
});
