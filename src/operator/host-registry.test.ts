import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DockerHost } from '../crds/index.js';
import { HostRegistry } from './host-registry.js';

const h = (name: string): DockerHost =>
  ({
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'DockerHost',
    metadata: { name },
    spec: { endpoint: `unix:///nowhere/${name}.sock`, address: '10.0.0.1' },
  }) as DockerHost;

test('ready: a connected stream, else the latest probe, else a failed stream; unknown counts as ready', () => {
  const hosts = [h('a')];
  const registry = new HostRegistry({ dockerHosts: () => hosts, dockerHost: (n) => hosts.find((x) => x.metadata.name === n) });
  const ready = () => registry.get('a')!.ready;
  assert.equal(ready(), true, 'nothing known yet');
  registry.reportProbe('a', false);
  assert.equal(ready(), false, 'probed down (its stream is not dialled, so never reports)');
  registry.setConnected('a', true);
  assert.equal(ready(), true, 'a connected stream wins over an older probe');
  registry.setConnected('a', false);
  assert.equal(ready(), false);
  registry.reportProbe('a', true);
  assert.equal(ready(), true, 'answered its latest probe while the stream reconnects');
  assert.equal(registry.probed('a'), true);
  assert.equal(registry.get('b'), undefined);
});

test('probes are announced to subscribers, and the stream client is one per host', () => {
  const hosts = [h('a')];
  const registry = new HostRegistry({ dockerHosts: () => hosts });
  const seen: string[] = [];
  const off = registry.onProbe((name, reachable) => seen.push(`${name}:${reachable}`));
  registry.reportProbe('a', true);
  off();
  registry.reportProbe('a', false);
  assert.deepEqual(seen, ['a:true']);
  assert.equal(registry.streamClient(hosts[0]!), registry.get('a')!.streamDocker);
});
