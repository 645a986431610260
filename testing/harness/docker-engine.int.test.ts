import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { isSwarmopError } from '../../src/errors.js';
import { startDockerEngine, type DockerEngineHandle } from './docker-engine.js';

async function answers(socketPath: string): Promise<boolean> {
  try {
    await new Docker({ socketPath, timeout: 2000 }).ping();
    return true;
  } catch {
    return false;
  }
}

describe('startDockerEngine', () => {
  let engine: DockerEngineHandle;

  before(async () => {
    engine = await startDockerEngine({ name: 'itest-engine' });
  });
  after(async () => {
    await engine?.stop();
  });

  it('runs a real engine on its own socket', async () => {
    assert.equal(engine.socketPath, '/run/swarmop-itest-engine/docker.sock');
    assert.equal(engine.dockerHost, 'unix:///run/swarmop-itest-engine/docker.sock');
    const info = (await new Docker({ socketPath: engine.socketPath }).info()) as { DockerRootDir: string };
    assert.equal(info.DockerRootDir, '/var/lib/swarmop-itest-engine');
  });

  it('stops the engine so it no longer answers, and starts it again', async () => {
    await engine.stop();
    assert.equal(await answers(engine.socketPath), false);
    await engine.stop(); // idempotent
    await engine.start();
    assert.equal(await answers(engine.socketPath), true);
  });

  it('refuses to hand out the shared lab engine unless asked explicitly', async () => {
    await assert.rejects(startDockerEngine({ name: 'lab' }), (err) => isSwarmopError(err, 'Invalid'));
  });

  it('rejects names that would not make a safe path', async () => {
    await assert.rejects(startDockerEngine({ name: '../etc' }), (err) => isSwarmopError(err, 'Invalid'));
  });
});
