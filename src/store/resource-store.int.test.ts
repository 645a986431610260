import { after, before } from 'node:test';
import { startConsulAgent, type ConsulAgentHandle } from '../testing/consul-agent.js';
import { ConsulKv } from './consul-kv.js';
import { resourceStoreContract } from './resource-store-contract.js';

let agent: ConsulAgentHandle;
let kv: ConsulKv;

before(async () => {
  agent = await startConsulAgent();
  kv = new ConsulKv({ address: agent.address });
});
after(async () => {
  kv?.close();
  await agent?.stop();
});

resourceStoreContract('ResourceStore over real Consul', () => ({ kv }));
