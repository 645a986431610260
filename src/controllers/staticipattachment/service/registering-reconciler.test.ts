import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostWatchContext } from '../../kind-reconciler.js';
import type { StaticIPAttachmentReconciler } from '../reconciler.js';
import { ServiceRegisteringReconciler } from './registering-reconciler.js';
import type { ServiceRegistrationStep } from './step.js';

test('the wrapper keeps every host hook of the network reconciler, the netlink watch included', async () => {
  const calls: string[] = [];
  const network = {
    kind: 'StaticIPAttachment',
    finalizer: 'swarmop.io/staticip',
    mapHostEvent: () => (calls.push('mapHostEvent'), ['a']),
    mapHostConnectivity: () => (calls.push('mapHostConnectivity'), ['b']),
    mapObjectChange: () => (calls.push('mapObjectChange'), ['c']),
    watchHosts: async (_ctx: HostWatchContext, signal: AbortSignal) => {
      calls.push(`watchHosts aborted=${signal.aborted}`);
    },
  } as unknown as StaticIPAttachmentReconciler;
  const wrapper = new ServiceRegisteringReconciler({ network, service: {} as ServiceRegistrationStep });
  // The operator starts `watchHosts` only on reconcilers that have it: a wrapper without it would
  // silently turn every netlink-driven repair into a wait for the next resync.
  assert.equal(typeof wrapper.watchHosts, 'function');
  const cache = { list: () => [] } as never;
  await wrapper.watchHosts({ cache } as unknown as HostWatchContext, new AbortController().signal);
  assert.deepEqual(wrapper.mapHostEvent('h', {} as never, cache), ['a']);
  assert.deepEqual(wrapper.mapHostConnectivity('h', true, cache), ['b']);
  assert.deepEqual(wrapper.mapObjectChange('DockerHost', 'h', cache), ['c']);
  assert.deepEqual(calls, ['watchHosts aborted=false', 'mapHostEvent', 'mapHostConnectivity', 'mapObjectChange']);
});
