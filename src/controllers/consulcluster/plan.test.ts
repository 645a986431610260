import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from './analysis.js';
import type { ClusterObservation } from './model.js';
import { DEFAULT_PLAN_OPTIONS, inflightFor, plan, type Inflight } from './plan.js';
import { NOW, fixtureDesired, healthyObservation, seenAs, seesItselfAs } from '../../../testing/lab/consul-fixtures.js';

const desired = fixtureDesired();
const planFor = (mutate: (o: ClusterObservation) => void, inflight?: Inflight, d = desired) => {
  const obs = healthyObservation(desired);
  mutate(obs);
  return plan(analyze(d, obs), inflight, NOW);
};
const SVR = '192.168.116.111';
const C01 = '192.168.116.112';

test('a converged cluster plans nothing (no restarts, no joins, no churn)', () => {
  assert.deepEqual(
    planFor(() => {}),
    {},
  );
});

test('table: each drift gets exactly the smallest repair', () => {
  const cases: { name: string; mutate: (o: ClusterObservation) => void; type: string | undefined; node?: string; waiting?: RegExp }[] = [
    {
      name: 'nothing exists yet -> create all three together (bootstrap)',
      mutate: (o) => {
        o.containers = [];
        o.views = o.views.map((v) => ({ ...v, reachable: false, members: [], raft: [], leader: '' }));
      },
      type: 'create',
    },
    {
      name: 'container removed, member still known -> recreate it',
      mutate: (o) => void o.containers.splice(1, 1),
      type: 'recreate',
      node: 'consul01',
    },
    {
      name: 'container exited (killed) -> start it',
      mutate: (o) => void (o.containers[2]!.state = 'exited'),
      type: 'start',
      node: 'consul02',
    },
    { name: 'container paused -> unpause it', mutate: (o) => void (o.containers[2]!.state = 'paused'), type: 'start', node: 'consul02' },
    {
      name: 'docker is restarting it already -> wait',
      mutate: (o) => void (o.containers[2]!.state = 'restarting'),
      type: undefined,
      waiting: /restarting/,
    },
    // Seen between `docker rm -f` killing it and the removal finishing: starting it fails (409), its name is still taken.
    {
      name: 'docker is removing it -> wait for it to go, then recreate',
      mutate: (o) => void (o.containers[2]!.state = 'removing'),
      type: undefined,
      waiting: /removing/,
    },
    {
      name: 'container dead (a removal that failed) -> replace it',
      mutate: (o) => void (o.containers[2]!.state = 'dead'),
      type: 'replace',
      node: 'consul02',
    },
    {
      name: 'agent silent long after start -> restart its container',
      mutate: (o) => {
        o.views[1]!.reachable = false;
        seenAs(o, 'consul01', 'failed', C01);
      },
      type: 'restart',
      node: 'consul01',
    },
    {
      name: 'agent silent but just started -> wait',
      mutate: (o) => {
        o.views[1]!.reachable = false;
        o.containers[1]!.startedAt = NOW - 1000;
      },
      type: undefined,
      waiting: /starting/,
    },
    {
      name: 'member left by `consul leave` (its agent drains before exiting) -> restart its container',
      mutate: (o) => {
        seenAs(o, 'consul01', 'left', C01);
        seesItselfAs(o, 'consul01', 'left', C01);
      },
      type: 'restart',
      node: 'consul01',
    },
    {
      name: 'member force-left by autopilot after a partition, agent sees itself alive -> join it',
      mutate: (o) => seenAs(o, 'consul01', 'left', C01),
      type: 'join',
      node: 'consul01',
    },
    {
      name: 'member left but its agent just (re)started -> join it',
      mutate: (o) => {
        seenAs(o, 'consul01', 'left', C01);
        o.containers[1]!.startedAt = NOW - 1000;
      },
      type: 'join',
      node: 'consul01',
    },
    {
      name: 'member failed while its agent answers -> join it at once',
      mutate: (o) => seenAs(o, 'consul02', 'failed', '192.168.116.113'),
      type: 'join',
      node: 'consul02',
    },
    {
      name: 'member leaving -> wait',
      mutate: (o) => seenAs(o, 'consul02', 'leaving', '192.168.116.113'),
      type: undefined,
      waiting: /leaving/,
    },
    // A `consul leave` reaches the agents one after another: the reference may still see the member
    // alive while another agent already sees it leaving. That is no partition: nothing to join.
    {
      name: 'an agent sees another leaving before the reference does (a `consul leave` spreading) -> wait',
      mutate: (o) => void (o.views[1]!.members[2]!.status = 'leaving'),
      type: undefined,
      waiting: /consul01 sees consul02 leaving/,
    },
    {
      name: 'member sees the others failed (other half of a partition) -> it joins the reference',
      mutate: (o) => void (o.views[2]!.members[0]!.status = 'failed'),
      type: 'join',
      node: 'consul02',
    },
    {
      name: 'config hash differs -> replace',
      mutate: (o) => void (o.containers[1]!.configHash = 'old'),
      type: 'replace',
      node: 'consul01',
    },
    {
      name: 'stray agent on a host not in the spec -> leave and remove',
      mutate: (o) =>
        void o.containers.push({
          host: 'spare',
          id: 'x',
          name: 'swarmop-consul-datacenter',
          state: 'running',
          member: 'old',
          address: '192.168.116.114',
        }),
      type: 'removeStray',
    },
    {
      name: 'failed member not in the spec -> force-leave',
      mutate: (o) => void o.views[0]!.members.push({ name: 'old', address: '192.168.116.114', status: 'failed', role: 'server' }),
      type: 'forceLeave',
    },
    {
      name: 'left member not in the spec but still a raft peer -> remove the peer',
      mutate: (o) => {
        o.views[0]!.members.push({ name: 'old', address: '192.168.116.114', status: 'left', role: 'server' });
        o.views[0]!.raft.push({ id: 'id-old', node: 'old', address: '192.168.116.114:8300', leader: false, voter: true });
      },
      type: 'removeRaftPeer',
    },
    {
      name: 'host unreachable -> nothing can be done there',
      mutate: (o) => {
        o.unreachableHosts.push('consul02');
        o.containers.splice(2, 1);
        o.views[2]!.reachable = false;
        seenAs(o, 'consul02', 'failed', '192.168.116.113');
      },
      type: undefined,
    },
  ];
  for (const c of cases) {
    const p = planFor(c.mutate);
    assert.equal(p.step?.type, c.type, c.name);
    if (c.node) assert.equal(p.step && 'agent' in p.step ? p.step.agent.node : undefined, c.node, c.name);
    if (c.waiting) assert.match(p.waiting ?? '', c.waiting, c.name);
    else assert.equal(p.waiting, undefined, c.name);
  }
});

test('a failed member is joined from the healthy side, to its own address', () => {
  const p = planFor((o) => seenAs(o, 'consul02', 'failed', '192.168.116.113'));
  assert.deepEqual(p.step?.type === 'join' && [p.step.via, p.step.target], [SVR, '192.168.116.113']);
});

test('the same join also goes out from every other agent that sees the member failed, so no agent waits on gossip (one repair, not two)', () => {
  const both = planFor((o) => seenAs(o, 'consul02', 'failed', '192.168.116.113'));
  assert.deepEqual(both.step?.type === 'join' && both.step.alsoVia, [C01]);
  const one = planFor((o) => {
    seenAs(o, 'consul02', 'failed', '192.168.116.113');
    o.views.find((v) => v.address === C01)!.members.find((m) => m.name === 'consul02')!.status = 'alive';
  });
  assert.deepEqual(one.step?.type === 'join' && one.step.alsoVia, []);
});

test('a configuration change replaces followers first and the leader last, one at a time', () => {
  const newDesired = fixtureDesired({ image: 'hashicorp/consul:1.8.8' });
  const order: string[] = [];
  const obs = healthyObservation(desired);
  for (let round = 0; round < 4; round++) {
    const p = plan(analyze(newDesired, obs), undefined, NOW);
    if (!p.step) break;
    assert.equal(p.step.type, 'replace');
    const node = p.step.type === 'replace' ? p.step.agent.node : '';
    order.push(node);
    obs.containers.find((c) => c.member === node)!.configHash = newDesired.find((d) => d.node === node)!.configHash;
  }
  assert.deepEqual(order, ['consul01', 'consul02', 'consulsvr']);
});

test('a configuration change waits while another member is not healthy (quorum is never risked)', () => {
  const newDesired = fixtureDesired({ image: 'hashicorp/consul:1.8.8' });
  const obs = healthyObservation(desired);
  obs.unreachableHosts.push('consul02');
  obs.views[2]!.reachable = false;
  seenAs(obs, 'consul02', 'failed', '192.168.116.113');
  const p = plan(analyze(newDesired, obs), undefined, NOW);
  assert.equal(p.step, undefined);
  assert.match(p.waiting ?? '', /waits for the other members/);
});

test('a configuration change waits while a server is not a voting raft peer yet', () => {
  const newDesired = fixtureDesired({ ui: false });
  const obs = healthyObservation(desired);
  obs.containers[0]!.configHash = newDesired[0]!.configHash;
  obs.containers[2]!.configHash = newDesired[2]!.configHash;
  obs.views[0]!.raft[0]!.voter = false; // consulsvr is reference (leader's view)
  const p = plan(analyze(newDesired, obs), undefined, NOW);
  assert.equal(p.step, undefined);
});

test('one repair in flight: nothing else is done until it settles or times out', () => {
  const leftToo = (o: ClusterObservation) => {
    seenAs(o, 'consul01', 'left', C01);
    seesItselfAs(o, 'consul01', 'left', C01);
  };
  const first = planFor((o) => {
    leftToo(o);
    o.containers[2]!.state = 'exited';
    o.views[2]!.reachable = false;
  });
  assert.equal(first.step?.type, 'start');
  const inflight = inflightFor(first.step!, NOW)!;
  // Started, but its agent does not answer yet; consul01 also needs a repair: it waits.
  const starting = (o: ClusterObservation) => {
    leftToo(o);
    o.containers[2]!.startedAt = NOW + 100;
    o.views[2]!.reachable = false;
    seenAs(o, 'consul02', 'failed', '192.168.116.113');
  };
  const second = planFor(starting, inflight);
  assert.equal(second.step, undefined);
  assert.match(second.waiting ?? '', /start of consul02/);
  // Timed out: forgotten, and the planner judges the world afresh.
  const third = planFor(starting, { ...inflight, deadline: NOW - 1 });
  assert.equal(third.inflightDone?.settled, false);
  assert.match(third.waiting ?? '', /consul02 is starting/);
});

test('an in-flight step whose member broke again (container stopped) is dropped and the member repaired again', () => {
  const inflight = inflightFor(
    { type: 'start', agent: desired[2]!, containerId: 'c2', paused: false, found: '' },
    NOW,
    DEFAULT_PLAN_OPTIONS,
  )!;
  const p = planFor((o) => void (o.containers[2]!.state = 'exited'), inflight);
  assert.equal(p.inflightDone?.settled, false);
  assert.equal(p.step?.type, 'start');
});

test('an in-flight start settles once the NEW agent answers, is alive, voting and healthy for autopilot', () => {
  const inflight = inflightFor(
    { type: 'start', agent: desired[2]!, containerId: 'c2', paused: false, found: '' },
    NOW,
    DEFAULT_PLAN_OPTIONS,
  )!;
  const restarted = (o: ClusterObservation) => void (o.containers[2]!.startedAt = NOW + 300);
  const p = planFor(restarted, inflight);
  assert.equal(p.inflightDone?.settled, true);
  assert.equal(p.step, undefined);
  // Consul still showing the old agent alive (container started before the step) is not enough.
  assert.match(planFor(() => {}, inflight).waiting ?? '', /start of consul02/);
  // Nor is a voter that autopilot does not call healthy yet (lagging log, no recent contact).
  const lagging = (o: ClusterObservation) => {
    restarted(o);
    o.views[0]!.autopilot = desired.map((d) => ({ name: d.node, voter: true, healthy: d.node !== 'consul02' }));
  };
  assert.match(planFor(lagging, inflight).waiting ?? '', /start of consul02/);
});

test('a new member (unknown to Consul) in an existing cluster is created, not counted as recreated', () => {
  const d = fixtureDesired({ clients: [{ host: 'spare', node: 'client1' }] });
  const p = plan(analyze(d, healthyObservation(desired)), undefined, NOW);
  assert.equal(p.step?.type, 'create');
  assert.equal(p.step?.type === 'create' && p.step.reason, 'MemberAdded');
});

test('a server removed from the spec is not left while another member is unhealthy (quorum)', () => {
  const two = fixtureDesired({
    servers: [
      { host: 'consulsvr', node: 'consulsvr' },
      { host: 'consul01', node: 'consul01' },
    ],
    bootstrapExpect: 2,
  });
  const obs = healthyObservation(desired);
  obs.unreachableHosts.push('consul01');
  seenAs(obs, 'consul01', 'failed', C01);
  const p = plan(analyze(two, obs), undefined, NOW);
  assert.equal(p.step, undefined);
  assert.match(p.waiting ?? '', /removal of consul02 waits/);
});

test('a removed server (spec shrinks) is left gracefully without touching the others', () => {
  const two = fixtureDesired({
    servers: fixtureDesired()
      .filter((a) => a.node !== 'consul02')
      .map((a) => ({ host: a.host, node: a.node })),
    bootstrapExpect: 2,
  });
  const p = plan(analyze(two, healthyObservation(desired)), undefined, NOW);
  assert.equal(p.step?.type, 'removeStray');
  assert.equal(p.step?.type === 'removeStray' && p.step.leaveFirst, true);
  assert.equal(p.step?.type === 'removeStray' && p.step.container.host, 'consul02');
});

test('a server back with a wiped data dir (new node ID, same name) gets its catalog entry re-registered through the leader, once', () => {
  const p = planFor((o) => {
    o.views[2]!.identity = { nodeID: 'new-id-consul02', catalogNodeID: 'old-id-consul02' };
  });
  assert.equal(p.step?.type, 'reclaimNodeName');
  assert.deepEqual(p.step, {
    type: 'reclaimNodeName',
    node: 'consul02',
    nodeID: 'new-id-consul02',
    address: '192.168.116.113',
    via: SVR,
    found: 'catalog holds consul02 as node old-id-c while its agent is new-id-c (data dir wiped)',
  });
  assert.equal(inflightFor(p.step!, NOW), undefined, 'an instant step');
  // Same IDs: nothing to do.
  assert.deepEqual(
    planFor((o) => void (o.views[2]!.identity = { nodeID: 'x', catalogNodeID: 'x' })),
    {},
  );
});
