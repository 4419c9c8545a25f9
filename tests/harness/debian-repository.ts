/**
 * A Debian package repository built by the tests with Debian's own tools
 * (dpkg-deb, dpkg-scanpackages, gzip, a Release file listing the indexes'
 * hashes), and apt-get run against a served copy of it with a private
 * configuration: its own sources, state, cache, parts and dpkg status, so the
 * machine's /etc/apt and /var/lib/apt are never read or written.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A flat Debian repository in `dir` holding one tiny `Architecture: all` package; returns the .deb's path. */
export async function buildDebianRepository(dir: string, packageName: string, version = '1.0.0'): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'ferry-deb-root-'));
  try {
    await mkdir(join(root, 'DEBIAN'), { recursive: true });
    await mkdir(join(root, 'usr', 'share', 'doc', packageName), { recursive: true });
    await writeFile(
      join(root, 'DEBIAN', 'control'),
      [`Package: ${packageName}`, `Version: ${version}`, 'Architecture: all', 'Maintainer: Ferry Tests <tests@ferry.invalid>', 'Description: a tiny package Ferry carries', ''].join('\n'),
    );
    await writeFile(join(root, 'usr', 'share', 'doc', packageName, 'hello.txt'), 'carried across the air gap\n');
    await mkdir(dir, { recursive: true });
    const deb = join(dir, `${packageName}_${version}_all.deb`);
    await run('dpkg-deb', ['--root-owner-group', '--build', root, deb]);
    const { stdout } = await run('dpkg-scanpackages', ['--multiversion', '.', '/dev/null'], { cwd: dir });
    await writeFile(join(dir, 'Packages'), stdout);
    await run('gzip', ['-9kn', join(dir, 'Packages')]);
    const lines = await Promise.all(
      ['Packages', 'Packages.gz'].map(async (name) => {
        const bytes = await readFile(join(dir, name));
        return ` ${sha256(bytes)} ${bytes.length} ${name}`;
      }),
    );
    await writeFile(join(dir, 'Release'), ['Origin: Ferry tests', 'Label: Ferry tests', 'Architectures: all', `Date: ${new Date().toUTCString()}`, 'SHA256:', ...lines, ''].join('\n'));
    return deb;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Runs apt-get against the flat repository at `url` with a private configuration kept under `base`; the machine's /etc/apt is never read. */
export async function aptGet(base: string, url: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const dirs = { state: join(base, 'state'), cache: join(base, 'cache'), parts: join(base, 'apt.conf.d'), trusted: join(base, 'trusted.gpg.d'), prefs: join(base, 'preferences.d') };
  for (const dir of [join(dirs.state, 'lists', 'partial'), join(dirs.cache, 'archives', 'partial'), dirs.parts, dirs.trusted, dirs.prefs]) await mkdir(dir, { recursive: true });
  const sources = join(base, 'sources.list');
  const status = join(base, 'dpkg-status');
  await writeFile(sources, `deb [trusted=yes] ${url} ./\n`);
  await writeFile(status, '');
  const options: Record<string, string> = {
    'Dir::Etc::sourcelist': sources,
    'Dir::Etc::sourceparts': '-',
    'Dir::Etc::parts': dirs.parts,
    'Dir::Etc::main': '/dev/null',
    'Dir::Etc::preferences': '/dev/null',
    'Dir::Etc::preferencesparts': dirs.prefs,
    'Dir::Etc::trustedparts': dirs.trusted,
    'Dir::State': dirs.state,
    'Dir::State::status': status,
    'Dir::Cache': dirs.cache,
    'Debug::NoLocking': '1',
    'APT::Sandbox::User': 'root',
    'Acquire::Retries': '0',
  };
  // APT_CONFIG is read before anything else, so /etc/apt/apt.conf.d is never read either.
  const config = join(base, 'apt.conf');
  await writeFile(
    config,
    Object.entries(options)
      .map(([key, value]) => `${key} "${value}";\n`)
      .join(''),
  );
  const env = { ...process.env, APT_CONFIG: config, LC_ALL: 'C' };
  const flags = Object.entries(options).flatMap(([key, value]) => ['-o', `${key}=${value}`]);
  return run('apt-get', [...flags, ...args], { cwd, env, timeout: 60_000 });
}
