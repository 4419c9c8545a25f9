/**
 * `ferry key generate | list | export-public`, checked by an independent
 * consumer: openssl reads the private key only with the right passphrase,
 * sees a P-256 public key, computes the same fingerprint, and verifies a
 * signature made with the key by Node.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, createSign } from 'node:crypto';
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli/main.ts';
import { keyFingerprint } from '../../src-main/trust/keys.ts';
import { runFerry } from '../harness/test-helpers.ts';

const run = promisify(execFile);

/** Runs openssl, returning stdout; a non-zero exit rejects. */
async function openssl(args: string[], input?: Buffer): Promise<Buffer> {
  const child = run('openssl', args, { encoding: 'buffer' });
  if (input !== undefined) child.child.stdin?.end(input);
  const { stdout } = await child;
  return stdout;
}

let root = '';
let secret = '';
const PASSPHRASE = 'correct horse battery staple';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-keys-'));
  secret = join(root, 'pass.txt');
  await writeFile(secret, `${PASSPHRASE}\n`, { mode: 0o600 });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ferry key generate', () => {
  let dir = '';
  let generated = { code: 0, stdout: '', stderr: '' };
  beforeAll(async () => {
    dir = join(root, 'keys');
    generated = await runFerry('key', 'generate', '--name', 'exporter-1', '--out', dir, '--passphrase-file', secret, '--json');
  });

  it('writes NAME.pub and a private NAME.key, never printing the passphrase', async () => {
    expect(generated.stderr).toBe('');
    expect(generated.code).toBe(0);
    expect(generated.stdout + generated.stderr).not.toContain(PASSPHRASE);
    expect((await readdir(dir)).sort()).toEqual(['exporter-1.key', 'exporter-1.pub']);
    expect((await stat(join(dir, 'exporter-1.key'))).mode & 0o777).toBe(0o600);
    const keyText = await readFile(join(dir, 'exporter-1.key'), 'utf8');
    expect(keyText).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    expect(keyText).not.toContain(PASSPHRASE);
  });

  it('openssl opens the private key with the right passphrase and refuses a wrong one', async () => {
    await openssl(['pkey', '-in', join(dir, 'exporter-1.key'), '-passin', `file:${secret}`, '-noout']);
    const wrong = join(root, 'wrong.txt');
    await writeFile(wrong, 'not the passphrase\n', { mode: 0o600 });
    await expect(openssl(['pkey', '-in', join(dir, 'exporter-1.key'), '-passin', `file:${wrong}`, '-noout'])).rejects.toThrow();
  });

  it('openssl sees a P-256 public key and computes the same fingerprint', async () => {
    const text = (await openssl(['pkey', '-pubin', '-in', join(dir, 'exporter-1.pub'), '-text', '-noout'])).toString();
    expect(text).toContain('prime256v1');
    const der = await openssl(['pkey', '-pubin', '-in', join(dir, 'exporter-1.pub'), '-outform', 'DER']);
    const digest = (await openssl(['dgst', '-sha256', '-r'], der)).toString().split(' ')[0];
    const report = JSON.parse(generated.stdout) as { fingerprint: string; algorithm: string };
    expect(report.algorithm).toBe('ECDSA P-256');
    expect(report.fingerprint).toBe(`sha256:${digest ?? ''}`);
    const listed = await runFerry('key', 'list', '--dir', dir);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe(`exporter-1  ECDSA P-256  sha256:${digest ?? ''}\n`);
  });

  it('a signature made with the private key verifies with openssl against NAME.pub', async () => {
    const key = createPrivateKey({ key: await readFile(join(dir, 'exporter-1.key')), format: 'pem', passphrase: PASSPHRASE });
    const message = Buffer.from('ferry.json bytes');
    const signature = createSign('sha256').update(message).sign(key);
    const messageFile = join(root, 'message');
    const signatureFile = join(root, 'message.sig');
    await writeFile(messageFile, message);
    await writeFile(signatureFile, signature);
    const out = await openssl(['dgst', '-sha256', '-verify', join(dir, 'exporter-1.pub'), '-signature', signatureFile, messageFile]);
    expect(out.toString()).toContain('Verified OK');
    await writeFile(messageFile, 'other bytes');
    await expect(openssl(['dgst', '-sha256', '-verify', join(dir, 'exporter-1.pub'), '-signature', signatureFile, messageFile])).rejects.toThrow();
  });

  it('gives one key one fingerprint however its point is written (compressed or not), so it cannot pass as two keys', async () => {
    const compressed = (await openssl(['ec', '-pubin', '-in', join(dir, 'exporter-1.pub'), '-conv_form', 'compressed'])).toString();
    const original = createPublicKey(await readFile(join(dir, 'exporter-1.pub')));
    const recompressed = createPublicKey(compressed);
    expect(recompressed.export({ type: 'spki', format: 'der' }).length).toBeLessThan(original.export({ type: 'spki', format: 'der' }).length);
    expect(keyFingerprint(recompressed)).toBe(keyFingerprint(original));
  });

  it('export-public prints the same public key PEM', async () => {
    const exported = await runFerry('key', 'export-public', 'exporter-1', '--dir', dir);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toBe(await readFile(join(dir, 'exporter-1.pub'), 'utf8'));
    const missing = await runFerry('key', 'export-public', 'nobody', '--dir', dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nobody.pub');
  });

  it('refuses to overwrite an existing key, keeping it unchanged', async () => {
    const before = await readFile(join(dir, 'exporter-1.key'));
    const again = await runFerry('key', 'generate', '--name', 'exporter-1', '--out', dir, '--passphrase-file', secret);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('key exporter-1 already exists');
    expect(await readFile(join(dir, 'exporter-1.key'))).toEqual(before);
  });
});

describe('ferry key refusals', () => {
  it('refuses a name that is not a safe file name, by name', async () => {
    for (const name of ['../evil', 'a/b', '.hidden', 'spaced name', '']) {
      const result = await runFerry('key', 'generate', '--name', name, '--out', join(root, 'bad'), '--passphrase-file', secret);
      expect(result.code, name).toBe(2);
      expect(result.stderr, name).toContain(`key name ${JSON.stringify(name)} is not allowed`);
    }
    await expect(readdir(join(root, 'bad'))).rejects.toThrow();
  });

  it('refuses a passphrase file other users can read, and an empty one', async () => {
    const open = join(root, 'open.txt');
    await writeFile(open, 'secret\n');
    await chmod(open, 0o644);
    const readable = await runFerry('key', 'generate', '--name', 'k1', '--out', join(root, 'k1'), '--passphrase-file', open);
    expect(readable.code).toBe(2);
    expect(readable.stderr).toContain('can be read by other users (mode 644)');
    expect(readable.stderr).not.toContain('secret\n');
    const empty = join(root, 'empty.txt');
    await writeFile(empty, '\n', { mode: 0o600 });
    const blank = await runFerry('key', 'generate', '--name', 'k1', '--out', join(root, 'k1'), '--passphrase-file', empty);
    expect(blank.code).toBe(2);
    expect(blank.stderr).toContain('empty passphrase is not allowed');
    await expect(readdir(join(root, 'k1'))).rejects.toThrow();
  });

  it('refuses a passphrase as a flag value', async () => {
    const result = await runFerry('key', 'generate', '--name', 'k2', '--out', join(root, 'k2'), '--passphrase', 'hunter2');
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain('hunter2');
  });

  it('with no terminal and no passphrase file, says how to give one', async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    const code = await main(['key', 'generate', '--name', 'k3', '--out', join(root, 'k3')], out, err, new PassThrough());
    expect(code).toBe(2);
    expect((err.read() as Buffer).toString()).toContain('needs a passphrase to seal the private key: give --passphrase-file FILE');
  });
});

/** Typed input with the two things a terminal has that a pipe has not: isTTY and raw mode. */
function typedTerminal(typed: string): PassThrough & { isTTY: true; setRawMode: (mode: boolean) => void; rawModes: boolean[] } {
  const rawModes: boolean[] = [];
  const terminal = Object.assign(new PassThrough(), { isTTY: true as const, rawModes, setRawMode: (mode: boolean) => void rawModes.push(mode) });
  terminal.write(typed);
  return terminal;
}

describe('ferry key generate on a terminal', () => {
  it('reads the passphrase twice without echo and seals the key with it', async () => {
    const dir = join(root, 'typed');
    const terminal = typedTerminal('typed pass\rtyped pass\r');
    const out = new PassThrough();
    const err = new PassThrough();
    const code = await main(['key', 'generate', '--name', 'typed', '--out', dir], out, err, terminal);
    const shownText = (err.read() as Buffer).toString();
    expect(code, shownText).toBe(0);
    expect(shownText).not.toContain('typed pass');
    expect(terminal.rawModes).toEqual([true, false]);
    const passFile = join(root, 'typed-pass.txt');
    await writeFile(passFile, 'typed pass', { mode: 0o600 });
    await openssl(['pkey', '-in', join(dir, 'typed.key'), '-passin', `file:${passFile}`, '-noout']);
  });

  it('refuses two passphrases that differ, writing nothing', async () => {
    const dir = join(root, 'typed-differ');
    const code = await main(['key', 'generate', '--name', 'typed', '--out', dir], new PassThrough(), new PassThrough(), typedTerminal('one\rtwo\r'));
    expect(code).toBe(2);
    await expect(readdir(dir)).rejects.toThrow();
  });
});
