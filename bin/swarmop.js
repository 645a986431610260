#!/usr/bin/env node
// Entry point installed as `swarmop`: runs the compiled CLI (built by `npm ci` through `prepare`).
// The operator's V8 flags are set first, before the CLI's modules allocate anything, and
// dockerode's unused SSH and BuildKit parts are deferred before anything loads dockerode.
import { applyOperatorV8Flags } from '../dist/src/runtime/v8-flags.js';
import { deferDockerodeOptionalModules } from '../dist/src/docker/defer-optional-modules.js';

applyOperatorV8Flags();
deferDockerodeOptionalModules();
const { main } = await import('../dist/src/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
