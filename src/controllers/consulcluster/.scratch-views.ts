import { readAgentView } from './agent-http.js';
const A = ['192.168.116.111', '192.168.116.112', '192.168.116.113'];
for (let i = 0; i < 40; i++) {
  const vs = await Promise.all(A.map((a) => readAgentView(a, { timeoutMs: 800 })));
  console.log(new Date().toISOString().slice(11, 23), vs.map((v) => `${v.address.slice(-3)}:${v.reachable ? 'up' : 'DOWN'} L=${v.leader.slice(-8, -5) || '-'} ${v.members.map((m) => m.name.slice(-2) + '=' + m.status[0]).join(',')}`).join(' | '));
  await new Promise((r) => setTimeout(r, 1000));
}
