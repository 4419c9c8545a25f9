/**
 * Runs before every test file: points the catalog and the data folder at a
 * fresh temp folder, so tests never read or write the developer's own catalog
 * or receipts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const home = mkdtempSync(join(tmpdir(), 'ferry-test-data-'));
process.env.XDG_DATA_HOME = join(home, 'data');
process.env.FERRY_CATALOG = join(home, 'catalog.sqlite');
