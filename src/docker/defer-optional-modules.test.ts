import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { deferDockerodeOptionalModules, optionalModulePaths } from './defer-optional-modules.js';

const require = createRequire(import.meta.url);
const loaded = (part: string) => Object.keys(require.cache).some((k) => k.includes(part));

// This file's process has not loaded dockerode yet (node --test runs each file in its own process).
test('dockerode loads without ssh2 and gRPC, and each deferred module loads on its first call', () => {
  assert.equal(loaded('/dockerode/'), false, 'precondition: dockerode not loaded yet in this process');
  deferDockerodeOptionalModules();
  const Docker = require('dockerode') as new (o: object) => { modem: { socketPath?: string } };
  assert.equal(new Docker({ socketPath: '/nowhere.sock' }).modem.socketPath, '/nowhere.sock');
  assert.equal(loaded('/ssh2/'), false);
  assert.equal(loaded('/@grpc/grpc-js/'), false);
  assert.equal(loaded('/protobufjs/'), false);

  const [sshPath] = optionalModulePaths()!;
  const ssh = require(sshPath!) as (opt: object) => { createConnection: unknown };
  const agent = ssh({ host: 'nowhere.invalid' });
  assert.equal(typeof agent.createConnection, 'function', 'the real SSH agent factory answered');
  assert.equal(loaded('/ssh2/'), true);
  assert.notEqual(require(sshPath!), ssh, 'later requires get the real module');
});
