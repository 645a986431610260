/**
 * One real Consul agent per test file: registers node:test before/after hooks that start an agent
 * (testing/harness/consul-agent.ts) with a ConsulKv on it, and stop both by PID at the end.
 */
import { after, before } from 'node:test';
import { ConsulKv } from '../../src/store/consul-kv.js';
import { startConsulAgent, type ConsulAgentHandle, type ConsulAgentOptions } from './consul-agent.js';

export function useRealConsul(onStarted: (agent: ConsulAgentHandle, kv: ConsulKv) => void, options?: ConsulAgentOptions): void {
  let agent: ConsulAgentHandle | undefined;
  let kv: ConsulKv | undefined;
  before(async () => {
    agent = await startConsulAgent(options);
    kv = new ConsulKv({ address: agent.address });
    onStarted(agent, kv);
  });
  after(async () => {
    kv?.close();
    await agent?.stop();
  });
}
