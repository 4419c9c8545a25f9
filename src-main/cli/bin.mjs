#!/usr/bin/env node
// The `ferry` executable: loads the TypeScript CLI through tsx's loader, so a
// clone runs `npx ferry …` right after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
