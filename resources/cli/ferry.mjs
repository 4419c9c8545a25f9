#!/usr/bin/env node
// The `ferry` command of the desktop packages: the CLI bundle (lib/main.mjs and its
// chunks, `npm run build:cli`) beside this file, with the few packages it keeps
// outside the bundle in node_modules/ here. Run by the Node.js on the PATH
// (20.18.1 or later, the major version the package was built with: the catalog's
// SQLite module is native); see docs/packaging.md.
import { main } from './lib/main.mjs';

process.exitCode = await main(process.argv.slice(2));
