/**
 * Ferry's lint: typescript-eslint's strict, type-checked rules, and the layer
 * rule (eslint-plugin-boundaries) that keeps every import pointing down the
 * layer order written in docs/architecture.md. `npm test` runs it first.
 */
import { builtinModules } from 'node:module';
import { defineConfig, globalIgnores } from 'eslint/config';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;

/**
 * The layers, bottom to top. Each element may import the elements listed for
 * it (its own files are always allowed). A layer's list names every layer
 * below it on purpose, so the rule reads as the architecture does.
 */
const SHARED = ['src-shared'];
const BASE = [...SHARED, 'base'];
const OCI = [...BASE, 'oci'];
/** bundle, mirror-config, media and trust are siblings: none imports another. */
const STORAGE = [...OCI, 'bundle', 'mirror-config', 'media', 'trust'];
/** catalog, sources, transfer and serve are siblings: none imports another (catalog reads bundle types, which are below it). */
const ENGINE = [...STORAGE, 'catalog', 'sources', 'transfer', 'serve'];
/**
 * The front ends see the use cases and what lies below the engine (oci, bundle, media…), never the engine's
 * catalog, sources or transfer themselves: the use cases are their only callers from above (DESIGN.md).
 */
const USECASES = [...STORAGE, 'usecases'];

/** Which element may import which; anything not listed is refused. */
export const LAYERS = {
  'src-shared': [],
  base: SHARED,
  oci: BASE,
  bundle: OCI,
  'mirror-config': OCI,
  media: OCI,
  trust: OCI,
  catalog: STORAGE,
  sources: STORAGE,
  transfer: STORAGE,
  // The embedded registry (`ferry serve`): its store, HTTP server, TLS and auth; it serves a bundle through bundle/.
  serve: STORAGE,
  usecases: ENGINE,
  // The front ends. The service is the contract's adapter: it never reaches into the CLI or the app.
  service: USECASES,
  server: [...USECASES, 'service'],
  app: [...USECASES, 'service', 'server'],
  cli: [...USECASES, 'service', 'server'],
  // The renderer runs in a browser sandbox: it talks to src-main only through the contract in src-shared.
  renderer: SHARED,
};

/** Where each element lives, relative to the repository root. */
const ELEMENTS = [
  { type: 'src-shared', pattern: 'src-shared' },
  { type: 'base', pattern: 'src-main/base' },
  // Ferry's own version number is a base helper: engine and front ends both report it. Single files need
  // mode 'full' (deprecated in eslint-plugin-boundaries 7, which only classifies folders otherwise).
  { type: 'base', pattern: 'src-main/version.ts', mode: 'full' },
  ...['oci', 'bundle', 'mirror-config', 'media', 'trust', 'catalog', 'sources', 'transfer', 'serve', 'usecases', 'service', 'server', 'app', 'cli'].map((type) => ({
    type,
    pattern: `src-main/${type}`,
  })),
  { type: 'service', pattern: 'src-main/service.ts', mode: 'full' },
  { type: 'renderer', pattern: 'src-renderer' },
  { type: 'tests', pattern: 'tests' },
].map((element) => (element.mode === 'full' ? element : { partialMatch: false, ...element }));

/** The layer rule: element settings plus the two boundaries rules. Exported so the rule's own test can check the real configuration. */
export const layerRule = {
  name: 'ferry/layers',
  files: ['src-main/**', 'src-shared/**', 'src-renderer/**', 'tests/**'],
  plugins: { boundaries },
  settings: {
    'boundaries/root-path': root,
    'boundaries/elements': ELEMENTS,
    // Re-exports and dynamic imports cross layers as much as static imports do.
    'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
    'boundaries/legacy-templates': false,
    // Silences the deprecation notice for mode 'full' above, printed on every run otherwise.
    'boundaries/legacy-warnings': false,
  },
  rules: {
    // Every file belongs to a layer: a file dropped at src-main/ would otherwise escape the rule below.
    'boundaries/no-unknown-files': 'error',
    'boundaries/dependencies': [
      'error',
      {
        default: 'disallow',
        // Local files outside every element (root config files) must not be imported from the layers either.
        checkUnknownLocals: true,
        policies: [
          ...Object.entries(LAYERS).map(([from, to]) => ({
            from: { element: { type: from } },
            allow: { to: { element: { types: { anyOf: [from, ...to] } } } },
          })),
          // Tests drive every layer, so they may import anything in the repository.
          { from: { element: { type: 'tests' } }, allow: { to: { element: { isUnknown: false } } } },
          // The catalog is used through catalog/index.ts only: its tables, SQL and migrations are its own business.
          // (Files inside the catalog are internal dependencies, which this rule leaves alone; unit tests may reach the parts they test.)
          {
            from: { element: { types: { noneOf: ['tests'] } } },
            disallow: { to: { element: { type: 'catalog', fileInternalPath: '!index.ts' } } },
            message: 'Use the catalog through src-main/catalog/index.ts, not its internal file {{to.element.fileInternalPath}}.',
          },
        ],
        message: 'Imports only point down the layers (docs/architecture.md): {{from.element.type}} may not import {{to.element.type}}.',
      },
    ],
  },
};

/** Node built-ins, with and without the `node:` prefix: code that must also run in a browser may not import them. */
const NO_NODE_BUILTINS = [
  'error',
  {
    paths: builtinModules.map((name) => ({ name, message: 'src-shared and the renderer run in the browser too: no Node built-ins.' })),
    patterns: [{ group: ['node:*'], message: 'src-shared and the renderer run in the browser too: no Node built-ins.' }],
  },
];

export default defineConfig(
  globalIgnores(['dist/', 'out/', 'node_modules/', 'test-results/', 'playwright-report/', '.bench/']),
  {
    files: ['src-main/**/*.{ts,mts}', 'src-shared/**/*.ts', 'src-renderer/**/*.{ts,tsx}', 'tests/**/*.ts'],
    extends: [tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    rules: {
      // Numbers and booleans print fine in messages and paths; objects and nullish values are still refused.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `(event) => event.preventDefault()` as a callback, and `return sendError(res, ...)` as an early exit from a void
      // function, are idiomatic and hide nothing; a void value used anywhere else (assigned, passed, tested) is still an error.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true }],
      // A leading underscore marks a binding that is unused on purpose: a drained `for await (const _chunk of entry)`,
      // a parameter an interface requires, a property left out with a rest spread. Unused imports and locals are still errors.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Off: `async` without `await` is deliberate here. It turns a synchronous throw into a rejection (the contract's handlers),
      // satisfies interfaces that return promises (ciphers, listers in tests), and is the only way to write an async generator
      // that yields without awaiting (blob sources). Floating and misused promises stay errors (no-floating-promises, no-misused-promises).
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['tests/**/*.ts'],
    rules: {
      // Off in tests only: vitest's asymmetric matchers (expect.stringContaining, expect.any) are typed `any` by design,
      // so every `toMatchObject({ message: expect.stringContaining(...) })` would trip it. Product code keeps the rule.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    // The renderer (and the two renderer unit tests) compile under tsconfig.renderer.json: DOM, JSX, bundler resolution.
    files: ['src-renderer/**/*.{ts,tsx}', 'tests/unit/virtual-table.test.ts', 'tests/unit/virtual-range.test.ts', 'tests/unit/review-panel.test.ts'],
    languageOptions: {
      parserOptions: { projectService: false, project: ['./tsconfig.renderer.json'], tsconfigRootDir: root },
    },
  },
  {
    // Plain JavaScript launchers (cli/bin.mjs) are outside the TypeScript programs.
    files: ['**/*.mjs'],
    extends: [tseslint.configs.strict, tseslint.configs.disableTypeChecked],
  },
  layerRule,
  {
    files: ['src-shared/**', 'src-renderer/**'],
    rules: { 'no-restricted-imports': NO_NODE_BUILTINS },
  },
);
