/**
 * `ferry serve --print-service`'s definitions, read back by their real
 * consumers where this machine has them: systemd-analyze verifies the unit
 * (it parses ExecStart's quoting and checks the program exists); Python's
 * plistlib reads the launchd plist back to the same ProgramArguments. The
 * Windows argument quoting is checked against the splitting rules of
 * CommandLineToArgvW (Microsoft's documented examples).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServiceKind, serviceDefinition, systemdArgument, windowsArgument } from '../../src-main/serve/service-definition.ts';
import { Teardown } from '../harness/teardown.ts';

const run = promisify(execFile);
const teardown = new Teardown();
let work = '';

/** A command with every character class the quoting must survive. */
const COMMAND = [
  process.execPath,
  '/opt/ferry app/src-main/cli/bin.mjs',
  'serve',
  '--storage',
  '/srv/reg "x"/100%$HOME\\a',
  '--listen',
  '0.0.0.0:5000',
  '--tls',
  'auto',
  '--name',
  'registry.site.lan',
];

beforeAll(async () => {
  work = teardown.add(await mkdtemp(join(tmpdir(), 'ferry-serve-service-')), (dir) => rm(dir, { recursive: true, force: true }));
});

afterAll(() => teardown.run());

describe('serviceDefinition', () => {
  it("writes a systemd unit that systemd-analyze verifies, with ExecStart quoted by systemd's rules", async () => {
    const unit = serviceDefinition({ kind: 'systemd', command: COMMAND, description: 'Ferry registry for the store /srv/reg', runAs: 'ferry' });
    expect(unit.fileName).toBe('ferry-serve.service');
    const file = join(work, unit.fileName);
    await writeFile(file, unit.text.replace('User=ferry\n', ''));
    // Exits non-zero on unbalanced quoting, a bad setting or a program that is not there.
    await expect(run('systemd-analyze', ['verify', file])).resolves.toBeDefined();
    const execStart = /^ExecStart=(.*)$/m.exec(unit.text)?.[1] ?? '';
    expect(execStart).toContain('"/srv/reg \\"x\\"/100%%$$HOME\\\\a"');
    expect(unit.text).toContain('User=ferry');
    expect(unit.text).toContain('WantedBy=multi-user.target');
  });

  it('writes a launchd plist that plistlib reads back to the same ProgramArguments', async () => {
    const plist = serviceDefinition({ kind: 'launchd', command: [...COMMAND, '<&>'], description: 'Ferry -- registry <store>' });
    expect(plist.fileName).toBe('org.ferry.serve.plist');
    const file = join(work, plist.fileName);
    await writeFile(file, plist.text);
    const script = 'import json,plistlib,sys; d=plistlib.load(open(sys.argv[1],"rb")); print(json.dumps([d["Label"], d["ProgramArguments"], d["RunAtLoad"], d["KeepAlive"]]))';
    const { stdout } = await run('python3', ['-c', script, file]);
    expect(JSON.parse(stdout)).toEqual(['org.ferry.serve', [...COMMAND, '<&>'], true, { SuccessfulExit: false }]);
  });

  it('writes a PowerShell scheduled task with the program and its arguments quoted for Windows', () => {
    const task = serviceDefinition({ kind: 'windows', command: ['C:\\Program Files\\nodejs\\node.exe', 'C:\\ferry\\bin.mjs', 'serve', '--storage', "D:\\it's here"], description: 'Ferry' });
    expect(task.fileName).toBe('ferry-serve.ps1');
    expect(task.text).toContain("-Execute 'C:\\Program Files\\nodejs\\node.exe'");
    expect(task.text).toContain(`-Argument 'C:\\ferry\\bin.mjs serve --storage "D:\\it''s here"'`);
    expect(task.text).toContain('-ExecutionTimeLimit ([TimeSpan]::Zero)');
    expect(task.text).toContain('Register-ScheduledTask');
  });

  it('refuses an unknown kind by name', () => {
    expect(parseServiceKind('launchd')).toBe('launchd');
    expect(() => parseServiceKind('upstart')).toThrow(/--print-service takes systemd, launchd, windows, got "upstart"/);
  });
});

describe('argument quoting', () => {
  it.each([
    ['plain/path-1.0:5000', 'plain/path-1.0:5000'],
    ['a b', '"a b"'],
    ['100%', '100%%'],
    ['$HOME', '"$$HOME"'],
    ['say "hi"', '"say \\"hi\\""'],
  ])('systemd: %s → %s', (arg, expected) => {
    expect(systemdArgument(arg)).toBe(expected);
  });

  // CommandLineToArgvW's documented cases: a"b → "a\"b", trailing backslashes doubled before the closing quote.
  it.each([
    ['C:\\plain\\path', 'C:\\plain\\path'],
    ['with space', '"with space"'],
    ['a"b', '"a\\"b"'],
    ['C:\\dir with space\\', '"C:\\dir with space\\\\"'],
    ['a\\\\"b', '"a\\\\\\\\\\"b"'],
    ['', '""'],
  ])('windows: %s → %s', (arg, expected) => {
    expect(windowsArgument(arg)).toBe(expected);
  });
});
