import type { ConsulKv } from './consul-kv.js';
import { resourceStoreContract } from '../../testing/contracts/resource-store-contract.js';
import { useRealConsul } from '../../testing/harness/real-consul.js';

let kv: ConsulKv;

useRealConsul((_agent, k) => (kv = k));

resourceStoreContract('ResourceStore over real Consul', () => ({ kv }));
