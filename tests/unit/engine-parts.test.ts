import { describe, expect, it } from 'vitest';
import { DigestVerifier, parseDigest, sha256Digest, verifyingStream } from '../../src-main/oci/digest.ts';
import { formatPlatform, parsePlatform, platformMatches } from '../../src-main/oci/platform.ts';
import { parseReference } from '../../src-main/oci/reference.ts';
import { mirrorDestination, parseImageList } from '../../src-main/sources/image-list.ts';
import { Limiter } from '../../src-main/base/limiter.ts';
import { helpText, parseCommandArgs } from '../../src-main/cli/args.ts';
import { copySpec } from '../../src-main/cli/commands/copy.ts';
import { inspectSpec } from '../../src-main/cli/commands/inspect.ts';

describe('DigestVerifier', () => {
  const data = Buffer.from('hello ferry');
  const digest = sha256Digest(data);
  it('passes matching content and names the subject on a mismatch', () => {
    const ok = new DigestVerifier(digest, data.length, 'blob x');
    ok.update(data.subarray(0, 3));
    ok.update(data.subarray(3));
    expect(() => ok.finish()).not.toThrow();
    const bad = new DigestVerifier(digest, data.length, 'blob x');
    bad.update(Buffer.from('hello ferrY'));
    expect(() => bad.finish()).toThrow(expect.objectContaining({ code: 'DIGEST_MISMATCH', message: expect.stringContaining('blob x') }));
  });
  it('stops at the first byte past the declared size, and catches short content', () => {
    const long = new DigestVerifier(digest, data.length, 'blob x');
    expect(() => long.update(Buffer.concat([data, Buffer.from('!')]))).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH', message: expect.stringContaining('trailing data') }));
    const short = new DigestVerifier(digest, data.length, 'blob x');
    short.update(data.subarray(1));
    expect(() => short.finish()).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
  });
  it('verifyingStream holds the last chunk back until the digest is checked', async () => {
    const seen: string[] = [];
    const source = async function* () {
      yield Buffer.from('hello ');
      yield Buffer.from('ferrY');
    };
    await expect(
      (async () => {
        for await (const chunk of verifyingStream(source(), new DigestVerifier(digest, data.length, 's'))) seen.push(Buffer.from(chunk).toString());
      })(),
    ).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(seen).toEqual(['hello ']);
  });
  it('parseDigest checks algorithm and length', () => {
    expect(parseDigest(digest).algorithm).toBe('sha256');
    expect(() => parseDigest(`sha256:${'A'.repeat(64)}`)).toThrow(/lowercase hex/);
    expect(() => parseDigest('sha256')).toThrow(/ALGORITHM:HEX/);
  });
});

describe('platforms', () => {
  it('parses, formats and matches with an optional variant', () => {
    const arm = parsePlatform('linux/arm64');
    expect(formatPlatform(parsePlatform('linux/arm64/v8'))).toBe('linux/arm64/v8');
    expect(platformMatches({ os: 'linux', architecture: 'arm64', variant: 'v8' }, arm)).toBe(true);
    expect(platformMatches({ os: 'linux', architecture: 'arm64', variant: 'v8' }, parsePlatform('linux/arm64/v7'))).toBe(false);
    expect(platformMatches(undefined, arm)).toBe(false);
    expect(() => parsePlatform('linux')).toThrow(/invalid platform "linux"/);
  });
});

describe('image lists', () => {
  it('skips comments and blank lines and keeps line numbers', () => {
    const list = parseImageList('# header\n\nnginx:1.27  # web\n  quay.io/a/b@sha256:' + 'c'.repeat(64) + '\n', 'images.txt');
    expect(list.map((l) => [l.line, l.text])).toEqual([
      [3, 'nginx:1.27'],
      [4, `quay.io/a/b@sha256:${'c'.repeat(64)}`],
    ]);
  });
  it('reports every bad line at once, and an empty list', () => {
    expect(() => parseImageList('good/one\nbad/Two\nthree:-x\n', 'l.txt')).toThrow(/2 bad references in l.txt:\n {2}l.txt:2: .*\n {2}l.txt:3: /);
    expect(() => parseImageList('# only comments\n', 'l.txt')).toThrow(expect.objectContaining({ code: 'INVALID_CONTENT', message: 'l.txt lists no images' }));
  });
  it('drops the source host and keeps the path under the prefix', () => {
    expect(mirrorDestination(parseReference('quay.io/openshift/release:4.16'), 'mirror:5000', 'ocp')).toEqual({ registry: 'mirror:5000', repository: 'ocp/openshift/release', tag: '4.16' });
    expect(mirrorDestination(parseReference('nginx'), 'mirror:5000', '')).toEqual({ registry: 'mirror:5000', repository: 'library/nginx', tag: 'latest' });
  });
});

describe('Limiter', () => {
  it('never runs more than its limit at once and runs everything', async () => {
    const limiter = new Limiter(3);
    let active = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limiter.run(async () => {
          active += 1;
          peak = Math.max(peak, active);
          await new Promise((resolve) => setTimeout(resolve, 1));
          active -= 1;
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe('CLI flags', () => {
  it('--help lists every flag the parser accepts', () => {
    for (const spec of [copySpec, inspectSpec]) {
      const help = helpText(spec);
      for (const name of Object.keys(spec.flags)) expect(help).toContain(`--${name}`);
    }
  });
  it('accepts --tls-verify bare, =false and as a separate value, and names an unknown flag', () => {
    expect(parseCommandArgs(['--tls-verify', 'a'], inspectSpec).values['tls-verify']).toBe('true');
    expect(parseCommandArgs(['--tls-verify=false', 'a'], inspectSpec).values['tls-verify']).toBe('false');
    expect(parseCommandArgs(['--tls-verify', 'false', 'a'], inspectSpec)).toMatchObject({ values: { 'tls-verify': 'false' }, positionals: ['a'] });
    expect(() => parseCommandArgs(['--bogus'], inspectSpec)).toThrow(/--bogus.*ferry inspect --help/);
  });
});

describe('registry flags bind credentials to one host', () => {
  it('refuses --src-creds for images from several registries, and binds them otherwise', async () => {
    const { registrySides } = await import('../../src-main/cli/registry-flags.ts');
    const { registryAccessFor } = await import('../../src-main/usecases/access.ts');
    const { Capture } = await import('../harness/test-helpers.ts');
    const io = { out: new Capture(), err: new Capture() };
    const side = async (values: Record<string, string>, prefix: 'src-' | 'dest-' | '') => (await registrySides(values, [prefix], io))[prefix];
    const source = await side({ 'src-creds': 'u:p' }, 'src-');
    expect(() => registryAccessFor(source, ['quay.io', 'docker.io'], 'source')).toThrow(/a typed login is for one registry, but these images come from quay.io, docker.io/);
    expect(registryAccessFor(await side({ creds: 'u:p:x' }, 'dest-'), ['mirror:5000', 'mirror:5000']).creds).toEqual({ username: 'u', password: 'p:x', host: 'mirror:5000' });
    await expect(side({ 'dest-tls-verify': 'maybe' }, 'dest-')).rejects.toThrow('--dest-tls-verify takes true or false, got "maybe"');
    await expect(side({ creds: 'nopassword' }, '')).rejects.toThrow('--creds must be USER:PASSWORD');
  });
});

it('isDigest accepts verifiable digests only', async () => {
  const { isDigest } = await import('../../src-main/oci/digest.ts');
  expect(isDigest(`sha256:${'a'.repeat(64)}`)).toBe(true);
  expect(isDigest(`sha512:${'a'.repeat(128)}`)).toBe(true);
  expect(isDigest('v1')).toBe(false);
  expect(isDigest(`sha256:${'a'.repeat(63)}`)).toBe(false);
  expect(isDigest(`sha256:${'A'.repeat(64)}`)).toBe(false);
  expect(isDigest(`md5:${'a'.repeat(32)}`)).toBe(false);
  expect(isDigest(`:${'a'.repeat(64)}`)).toBe(false);
});
