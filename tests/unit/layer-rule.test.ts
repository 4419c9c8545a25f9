/**
 * The layer rule in eslint.config.js, checked through the ESLint Node API:
 * a probe file placed in one layer imports a real file of another, and the
 * repository's own configuration must refuse what points up (or sideways, or
 * into the catalog's internals) and let through what points down. Only the
 * layer rules run, and the probes are parsed without type information, so
 * this takes seconds rather than a whole-tree lint.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
/** The probe's file name: the file never exists, ESLint only pretends it does. */
const PROBE = 'layer-probe.ts';

/** A real file in `folder` other than its entry point, so the probes keep working while files are renamed. */
function internalFile(folder: string): string {
  const name = readdirSync(join(root, folder))
    .filter((entry) => entry.endsWith('.ts') && entry !== 'index.ts')
    .sort()[0];
  if (name === undefined) throw new Error(`no TypeScript file in ${folder}`);
  return name;
}

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({
    cwd: root,
    // The repository's eslint.config.js, with only the layer rules running.
    ruleFilter: ({ ruleId }) => ruleId.startsWith('boundaries/') || ruleId === 'no-restricted-imports',
    // The probes are not in any tsconfig, so they are parsed without type information.
    overrideConfig: [{ files: [`**/${PROBE}`, 'src-main/service.ts'], languageOptions: { parserOptions: { projectService: false, project: null } } }],
  });
});

/** Lints `import ... from '<target>'` as if it were written in `folder` (as `name`); returns the layer rules' messages. */
async function probe(folder: string, target: string, name = PROBE): Promise<string[]> {
  const file = join(root, folder, name);
  // The target must be real: an unresolved import is not a layer violation, so a missing file would pass silently.
  expect(existsSync(join(root, folder, target)), `${target} from ${folder}`).toBe(true);
  const [result] = await eslint.lintText(`import * as target from '${target}';\nexport const probe = target;\n`, { filePath: file });
  if (result === undefined) throw new Error('ESLint returned no result');
  return result.messages.map((message) => `${message.ruleId ?? 'parser'}: ${message.message}`);
}

describe('the layer rule refuses imports that point up or sideways', () => {
  const refused: Array<[string, string, string, RegExp, string?]> = [
    ['bundle → catalog', 'src-main/bundle', '../catalog/index.ts', /bundle may not import catalog/],
    ['service → cli', 'src-main/service', '../cli/main.ts', /service may not import cli/],
    ['service.ts → cli', 'src-main', './cli/main.ts', /service may not import cli/, 'service.ts'],
    ['sources → transfer', 'src-main/sources', `../transfer/${internalFile('src-main/transfer')}`, /sources may not import transfer/],
    ['bundle → transfer', 'src-main/bundle', `../transfer/${internalFile('src-main/transfer')}`, /bundle may not import transfer/],
    ['catalog → transfer', 'src-main/catalog', `../transfer/${internalFile('src-main/transfer')}`, /catalog may not import transfer/],
    ['transfer → catalog', 'src-main/transfer', '../catalog/index.ts', /transfer may not import catalog/],
    ['oci → bundle', 'src-main/oci', `../bundle/${internalFile('src-main/bundle')}`, /oci may not import bundle/],
    ['renderer → src-main', 'src-renderer', `../src-main/oci/${internalFile('src-main/oci')}`, /renderer may not import oci/],
    ['src-shared → src-main', 'src-shared', `../src-main/oci/${internalFile('src-main/oci')}`, /src-shared may not import oci/],
    ['catalog internals from outside', 'src-main/usecases', `../catalog/${internalFile('src-main/catalog')}`, /through src-main\/catalog\/index\.ts/],
    ['service → catalog (past the use cases)', 'src-main/service', '../catalog/index.ts', /service may not import catalog/],
    ['cli → transfer (past the use cases)', 'src-main/cli', `../transfer/${internalFile('src-main/transfer')}`, /cli may not import transfer/],
    ['app → sources (past the use cases)', 'src-main/app', `../sources/${internalFile('src-main/sources')}`, /app may not import sources/],
  ];
  it.each(refused)('%s', async (_name, folder, target, expected, name) => {
    const messages = await probe(folder, target, name);
    expect(
      messages.some((message) => message.startsWith('boundaries/dependencies: ') && expected.test(message)),
      messages.join('\n'),
    ).toBe(true);
  });

  it('refuses a file that belongs to no layer', async () => {
    const messages = await probe('src-main', `./oci/${internalFile('src-main/oci')}`);
    expect(
      messages.some((message) => message.startsWith('boundaries/no-unknown-files: ')),
      messages.join('\n'),
    ).toBe(true);
  });

  it('refuses a Node built-in in src-shared', async () => {
    const [result] = await eslint.lintText(`import { join } from 'node:path';\nexport const probe = join;\n`, { filePath: join(root, 'src-shared', PROBE) });
    expect(result?.messages.map((message) => message.ruleId)).toContain('no-restricted-imports');
  });
});

describe('the layer rule lets imports point down', () => {
  const allowed: Array<[string, string, string]> = [
    ['transfer → bundle', 'src-main/transfer', `../bundle/${internalFile('src-main/bundle')}`],
    ['catalog → bundle', 'src-main/catalog', `../bundle/${internalFile('src-main/bundle')}`],
    ['usecases → catalog entry point', 'src-main/usecases', '../catalog/index.ts'],
    ['service → usecases', 'src-main/service', `../usecases/${internalFile('src-main/usecases')}`],
    ['cli → server', 'src-main/cli', `../server/${internalFile('src-main/server')}`],
    ['oci → src-shared', 'src-main/oci', '../../src-shared/errors.ts'],
    ['renderer → src-shared', 'src-renderer', '../src-shared/errors.ts'],
    ['tests → catalog internals', 'tests/unit', `../../src-main/catalog/${internalFile('src-main/catalog')}`],
  ];
  it.each(allowed)('%s', async (_name, folder, target) => {
    expect(await probe(folder, target)).toEqual([]);
  });
});
