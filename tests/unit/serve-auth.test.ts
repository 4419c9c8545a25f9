/**
 * `ferry serve`'s logins: an htpasswd file written by Apache's own
 * `htpasswd -B` lets its users in with their passwords only; files holding
 * other hash kinds are refused naming the line and the kind; one user given
 * at start is compared whole. Headers that are not Basic never pass.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { htpasswdAuthenticator, parseBasicAuthorization, parseHtpasswd, singleUserAuthenticator } from '../../src-main/serve/auth.ts';
import { Teardown } from '../harness/teardown.ts';

const run = promisify(execFile);
const teardown = new Teardown();
let work = '';
let file = '';

/** A Basic Authorization header. */
function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** One htpasswd line as Apache's htpasswd writes it (`flags` choose the hash kind), password via stdin. */
async function htpasswdLine(flags: string[], user: string, password: string): Promise<string> {
  const child = run('htpasswd', ['-n', '-i', ...flags, user]);
  child.child.stdin?.end(password);
  return (await child).stdout.trim();
}

beforeAll(async () => {
  work = teardown.add(await mkdtemp(join(tmpdir(), 'ferry-serve-auth-')), (dir) => rm(dir, { recursive: true, force: true }));
  file = join(work, 'htpasswd');
  const child = run('htpasswd', ['-c', '-B', '-i', file, 'alice']);
  child.child.stdin?.end('wonder land');
  await child;
  const bob = run('htpasswd', ['-B', '-C', '6', '-i', file, 'bob']);
  bob.child.stdin?.end('b:ob');
  await bob;
});

afterAll(() => teardown.run());

describe('htpasswdAuthenticator', () => {
  it('lets in the users of an `htpasswd -B` file with their passwords, and nobody else', async () => {
    const check = await htpasswdAuthenticator(file);
    expect(await check(basic('alice', 'wonder land'))).toBe(true);
    expect(await check(basic('alice', 'wonder land'))).toBe(true);
    expect(await check(basic('bob', 'b:ob'))).toBe(true);
    expect(await check(basic('alice', 'wonder'))).toBe(false);
    expect(await check(basic('alice', 'b:ob'))).toBe(false);
    expect(await check(basic('carol', 'wonder land'))).toBe(false);
    expect(await check(undefined)).toBe(false);
    expect(await check('Bearer abc')).toBe(false);
  });

  it.each([
    [['-m'], 'Apache MD5'],
    [['-s'], 'SHA-1'],
    [['-p'], 'plain-text'],
  ])('refuses an htpasswd %j line by kind and line number', async (flags, kind) => {
    const other = join(work, `other${flags.join('')}`);
    const good = await htpasswdLine(['-B'], 'alice', 'pw');
    const dave = await htpasswdLine(flags, 'dave', 'pw');
    await writeFile(other, `# users\n${good}\n\n${dave}\n`);
    const error = await htpasswdAuthenticator(other).catch((e: unknown) => e);
    expect(String(error)).toMatch(new RegExp(`line 4: user "dave" has an? ${kind}.*bcrypt only`));
    expect(String(error)).not.toContain(dave.slice('dave:'.length));
  });

  it('remembers a verified login, so repeated requests cost no bcrypt check (the server keeps no cache of its own)', async () => {
    const costly = join(work, 'costly');
    await writeFile(costly, `${await htpasswdLine(['-B', '-C', '10'], 'carol', 'slow pw')}\n`);
    const check = await htpasswdAuthenticator(costly);
    const timed = async (header: string): Promise<[boolean, number]> => {
      const start = performance.now();
      const ok = await check(header);
      return [ok, performance.now() - start];
    };
    const [first, firstMs] = await timed(basic('carol', 'slow pw'));
    const [again, againMs] = await timed(basic('carol', 'slow pw'));
    expect([first, again]).toEqual([true, true]);
    // Cost 10 is 1024 rounds (tens to hundreds of ms in bcryptjs); a remembered login is one HMAC.
    expect(againMs).toBeLessThan(firstMs / 10);
    const [wrong, wrongMs] = await timed(basic('carol', 'wrong'));
    expect(wrong).toBe(false);
    expect(wrongMs).toBeGreaterThan(againMs * 10);
  });

  it('refuses a duplicate user, a line without a colon, an empty file and a missing one', async () => {
    const line = await htpasswdLine(['-B'], 'eve', 'pw');
    expect(() => parseHtpasswd(`${line}\n${line}\n`, 'f')).toThrow(/f line 2: user "eve" appears a second time/);
    expect(() => parseHtpasswd('no colon here\n', 'f')).toThrow(/f line 1 is not "user:hash"/);
    expect(() => parseHtpasswd('# nobody\n', 'f')).toThrow(/holds no users/);
    await expect(htpasswdAuthenticator(join(work, 'absent'))).rejects.toThrow(/absent/);
  });
});

describe('singleUserAuthenticator', () => {
  it('lets in exactly the one user and password', async () => {
    const check = singleUserAuthenticator('site', 'p@ss:word');
    expect(await check(basic('site', 'p@ss:word'))).toBe(true);
    expect(await check(basic('site', 'p@ss:wor'))).toBe(false);
    expect(await check(basic('Site', 'p@ss:word'))).toBe(false);
    expect(await check(undefined)).toBe(false);
    expect(() => singleUserAuthenticator('site', '')).toThrow(/non-empty password/);
    expect(() => singleUserAuthenticator('a:b', 'x')).toThrow(/without ":"/);
  });
});

describe('parseBasicAuthorization', () => {
  it.each([
    [basic('u', 'p:q'), { user: 'u', password: 'p:q' }],
    [`basic  ${Buffer.from('u:').toString('base64')}`, { user: 'u', password: '' }],
    ['Basic !!!', undefined],
    [`Basic ${Buffer.from(':p').toString('base64')}`, undefined],
    [`Basic ${'A'.repeat(9000)}`, undefined],
    ['Digest x', undefined],
  ])('reads %s', (header, expected) => {
    expect(parseBasicAuthorization(header)).toEqual(expected);
  });
});
