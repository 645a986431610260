import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from './analysis.js';
import { conditions, observedStatus } from './status.js';
import { fixtureDesired, healthyObservation, seenAs } from '../../../testing/lab/consul-fixtures.js';

const desired = fixtureDesired();
const byType = (cs: ReturnType<typeof conditions>) => Object.fromEntries(cs.map((c) => [c.type, `${c.status}/${c.reason}`]));

test('a healthy cluster reports its leader, three voting raft peers and alive members; Ready, not Degraded', () => {
  const a = analyze(desired, healthyObservation(desired));
  const s = observedStatus(a);
  assert.equal(s.leader, 'consulsvr');
  assert.equal(s.raftPeers?.length, 3);
  assert.deepEqual(s.members?.[1], { node: 'consul01', host: 'consul01', address: '192.168.116.112', status: 'alive', role: 'server' });
  assert.deepEqual(byType(conditions(a, { missingHosts: [] })), { Ready: 'True/AllMembersAlive', Degraded: 'False/AllMembersAlive' });
});

test('quorum held with a failed member: Degraded True, Ready False, message names it', () => {
  const obs = healthyObservation(desired);
  seenAs(obs, 'consul02', 'failed', '192.168.116.113');
  const cs = conditions(analyze(desired, obs), { missingHosts: [] });
  assert.deepEqual(byType(cs), { Ready: 'False/MembersNotAlive', Degraded: 'True/MemberNotAlive' });
  assert.match(cs[0]!.message, /consul02 failed/);
});

test('no leader: Ready False NoLeader, and not Degraded (quorum is lost, the cluster is down)', () => {
  const obs = healthyObservation(desired);
  for (const v of obs.views) {
    v.leader = '';
    for (const r of v.raft) r.leader = false;
  }
  const a = analyze(desired, obs);
  assert.equal(observedStatus(a).leader, undefined);
  assert.deepEqual(byType(conditions(a, { missingHosts: [] })), { Ready: 'False/NoLeader', Degraded: 'False/NoQuorum' });
});

test('nothing created yet, an unknown host, a pending roll: each has its own reason', () => {
  const empty = analyze(desired, { containers: [], unreachableHosts: [], views: [] });
  assert.equal(byType(conditions(empty, { missingHosts: [] })).Ready, 'False/NotCreated');
  assert.equal(byType(conditions(empty, { missingHosts: ['nowhere'] })).Ready, 'False/HostNotFound');
  const obs = healthyObservation(desired);
  obs.containers[0]!.configHash = 'old';
  assert.equal(byType(conditions(analyze(desired, obs), { missingHosts: [] })).Ready, 'False/RollingUpdate');
});

test('a member whose agent container is gone or stopped is not Ready while Consul still shows it alive (gossip lags)', () => {
  const gone = healthyObservation(desired);
  gone.containers = gone.containers.filter((c) => c.member !== 'consul01');
  const cs = conditions(analyze(desired, gone), { missingHosts: [] });
  assert.deepEqual(byType(cs), { Ready: 'False/AgentContainersDown', Degraded: 'False/AllMembersAlive' });
  assert.match(cs[0]!.message, /consul01 missing/);
  const stopped = healthyObservation(desired);
  stopped.containers.find((c) => c.member === 'consul02')!.state = 'exited';
  assert.match(conditions(analyze(desired, stopped), { missingHosts: [] })[0]!.message, /consul02 exited/);
});

test('a repair still settling keeps Ready False, even when every member already shows alive', () => {
  const a = analyze(desired, healthyObservation(desired));
  const cs = conditions(a, { missingHosts: [], progress: 'waiting for start of consul02' });
  assert.deepEqual(byType(cs), { Ready: 'False/Repairing', Degraded: 'False/AllMembersAlive' });
  assert.match(cs[0]!.message, /waiting for start of consul02/);
});
