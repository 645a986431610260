#!/usr/bin/env node
// Entry point installed as `swarmop`: runs the compiled CLI (built by `npm ci` through `prepare`).
// The operator's V8 flags are set first, before the CLI's modules allocate anything.
import { applyOperatorV8Flags } from '../dist/src/runtime/v8-flags.js';

applyOperatorV8Flags();
const { main } = await import('../dist/src/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
