/**
 * The store and erase verbs of docker-credential-helpers programs
 * (oci/registry/credential-helper.ts), run for real against small helper
 * scripts: the protocol's input arrives as JSON on standard input, and a
 * failing helper's own words reach the error with the secret it was given
 * cut out. `get` is covered by credentials.test.ts; a real keychain
 * (docker-credential-pass) by tests/integration/serve-keychain.test.ts.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialHelperErase, credentialHelperGet, credentialHelperProgram, credentialHelperStore } from '../../src-main/oci/registry/credential-helper.ts';
import { failure } from '../harness/test-helpers.ts';

const SECRET = 'helper-secret-5d1e';
let dir = '';
let env: NodeJS.ProcessEnv = {};

/** Keeps what it is given in $HELPER_FILE, prints it back on get, removes it on erase. */
const FILE_HELPER = `#!/bin/sh
case "$1" in
  store) cat > "$HELPER_FILE" ;;
  get) read -r url; [ -s "$HELPER_FILE" ] && cat "$HELPER_FILE" || { echo "credentials not found in native keychain"; exit 1; } ;;
  erase) read -r url; printf '%s' "$url" > "$HELPER_FILE.erased"; : > "$HELPER_FILE" ;;
esac
`;

/** Fails store, echoing its whole input (the secret too) on both streams, as a careless helper might. */
const ECHO_HELPER = `#!/bin/sh
input=$(cat)
echo "cannot unlock keychain for $input"
echo "detail: $input" >&2
exit 3
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-credential-helper-'));
  for (const [name, body] of [
    ['file', FILE_HELPER],
    ['echo', ECHO_HELPER],
  ] as const) {
    await writeFile(join(dir, `docker-credential-${name}`), body);
    await chmod(join(dir, `docker-credential-${name}`), 0o755);
  }
  env = { PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`, HELPER_FILE: join(dir, 'entry.json') };
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('credential helper store and erase', () => {
  it('stores the protocol JSON, reads it back with get, and erases by server URL', async () => {
    await credentialHelperStore('file', 'https://ferry-serve.invalid/u', { username: 'u', secret: SECRET }, env);
    expect(JSON.parse(await readFile(join(dir, 'entry.json'), 'utf8'))).toEqual({ ServerURL: 'https://ferry-serve.invalid/u', Username: 'u', Secret: SECRET });
    expect(await credentialHelperGet('file', 'https://ferry-serve.invalid/u', env)).toEqual({ username: 'u', secret: SECRET });
    await credentialHelperErase('file', 'https://ferry-serve.invalid/u', env);
    expect(await readFile(join(dir, 'entry.json.erased'), 'utf8')).toBe('https://ferry-serve.invalid/u');
    expect(await credentialHelperGet('file', 'https://ferry-serve.invalid/u', env)).toBeUndefined();
  });

  it("a failing store shows the helper's words with the secret cut out", async () => {
    const error = await failure(credentialHelperStore('echo', 'https://ferry-serve.invalid/u', { username: 'u', secret: SECRET }, env));
    expect(error.code).toBe('CREDENTIALS_ERROR');
    expect(error.message).toMatch(/^credential helper docker-credential-echo could not store server https:\/\/ferry-serve\.invalid\/u: it failed with exit code 3: cannot unlock keychain/);
    expect(error.message).toContain('[secret]');
    const visible = [error.message, error.stack ?? '', JSON.stringify(error.toEnvelope()), inspect(error, { depth: 10 })].join('\n');
    expect(visible).not.toContain(SECRET);
  });

  it('refuses a helper name that could run another program', () => {
    expect(credentialHelperProgram('pass')).toBe('docker-credential-pass');
    for (const bad of ['../evil', 'a/b', '-rf', '.hidden', '']) expect(() => credentialHelperProgram(bad)).toThrow(/not a helper name/);
  });
});
