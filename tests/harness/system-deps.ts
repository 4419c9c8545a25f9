/**
 * Pre-flight for the test suite (`tsx tests/harness/system-deps.ts`): the
 * integration and e2e tests need real system tools, and a missing one should
 * fail in one clear line before any test runs, or be installed on Debian CI.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A required command and the Debian package that provides it. */
export interface SystemDep {
  command: string;
  debianPackage: string;
}

/** Every tool the harness shells out to, with its Debian 12 package. */
export const SYSTEM_DEPS: readonly SystemDep[] = [
  { command: 'docker-registry', debianPackage: 'docker-registry' },
  { command: 'skopeo', debianPackage: 'skopeo' },
  { command: '/usr/bin/chromium', debianPackage: 'chromium' },
  { command: 'htpasswd', debianPackage: 'apache2-utils' },
  { command: 'openssl', debianPackage: 'openssl' },
  // The first-start e2e copies the checkout's git-listed files.
  { command: 'git', debianPackage: 'git' },
  { command: 'mkfs.vfat', debianPackage: 'dosfstools' },
  { command: 'fusefat', debianPackage: 'fusefat' },
  { command: 'fusermount', debianPackage: 'fuse' },
  { command: 'setpriv', debianPackage: 'util-linux' },
  { command: '/usr/bin/time', debianPackage: 'time' },
  // The package-repository test builds a Debian repository and reads it with apt-get (tests/integration/ket-round-trip.test.ts, tests/harness/debian-repository.ts).
  { command: 'dpkg-deb', debianPackage: 'dpkg' },
  { command: 'dpkg-scanpackages', debianPackage: 'dpkg-dev' },
  { command: 'apt-get', debianPackage: 'apt' },
  { command: 'gzip', debianPackage: 'gzip' },
  // Mirror configuration and `ferry serve` are read by a real containerd (tests/harness/containerd.ts).
  { command: 'containerd', debianPackage: 'containerd' },
  { command: 'ctr', debianPackage: 'containerd' },
  // `ferry serve --password-keychain` reads its password through a real docker-credential-helpers program over a throwaway pass store (tests/integration/serve-keychain.test.ts).
  { command: 'docker-credential-pass', debianPackage: 'golang-docker-credential-helpers' },
  { command: 'pass', debianPackage: 'pass' },
  { command: 'gpg', debianPackage: 'gnupg' },
  { command: 'gpgconf', debianPackage: 'gnupg' },
];

/** True when `command` (a bare name looked up on PATH, or an absolute path) is an executable file. */
export function hasCommand(command: string): boolean {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter((d) => d.length > 0)
        .map((d) => join(d, command));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The dependencies not present on this machine. */
export function missingDeps(deps: readonly SystemDep[] = SYSTEM_DEPS): SystemDep[] {
  return deps.filter((dep) => !hasCommand(dep.command));
}

function main(): number {
  const missing = missingDeps();
  if (missing.length === 0) {
    console.log(`system-deps: all present (${SYSTEM_DEPS.map((d) => d.debianPackage).join(', ')})`);
    return 0;
  }
  const packages = [...new Set(missing.map((d) => d.debianPackage))];
  const canInstall = existsSync('/etc/debian_version') && process.getuid?.() === 0;
  if (!canInstall) {
    console.error(`system-deps: missing ${missing.map((d) => d.command).join(', ')}; install Debian packages: ${packages.join(' ')}`);
    return 1;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update', '-qq'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    console.error(`system-deps: apt-get install failed; install Debian packages: ${packages.join(' ')}`);
    return 1;
  }
  const still = missingDeps();
  if (still.length > 0) {
    console.error(`system-deps: still missing ${still.map((d) => d.command).join(', ')} after apt-get install ${packages.join(' ')}`);
    return 1;
  }
  console.log(`system-deps: installed ${packages.join(' ')}`);
  return 0;
}

// Run only as a script, so tests can import the helpers without side effects.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) process.exitCode = main();
