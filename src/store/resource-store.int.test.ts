import type { ConsulAgentHandle } from '../../testing/consul-agent.js';
import type { ConsulKv } from './consul-kv.js';
import { resourceStoreContract } from '../../testing/contracts/resource-store-contract.js';
import { useRealConsul } from '../../testing/real-consul.js';

let agent: ConsulAgentHandle;
let kv: ConsulKv;

useRealConsul((a, k) => ((agent = a), (kv = k)));

resourceStoreContract('ResourceStore over real Consul', () => ({ kv }));
