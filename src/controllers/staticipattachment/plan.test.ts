import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NetLink, NetRoute } from '../../nethelper/ip-json.js';
import type { NetObservation } from './observe.js';
import { planAttachment, type PlanInput, type Step } from './plan.js';
import { type AttachmentSpec, desiredFor } from './desired.js';

const PID = 4242;
const NS = '/run/swarmop/netns/0123456789ab';
const CID = 'c0ffee'.repeat(10);

function desired(spec: Partial<AttachmentSpec> = {}, uid = 'uid-1') {
  return desiredFor({
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'StaticIPAttachment',
    metadata: { name: 'ubuntu114', uid },
    spec: {
      host: 'consul01',
      container: 'ubuntu114',
      bridge: 'br0',
      address: '192.168.116.114/24',
      gateway: '192.168.116.1',
      uplink: 'eth0',
      interface: 'eth1',
      ...spec,
    },
  });
}
const D = desired();

function link(over: Partial<NetLink> & { name: string; ifindex: number }): NetLink {
  return { up: true, mtu: 1500, mac: '02:00:00:00:00:01', peerInOtherNetns: false, addresses: [], ...over };
}

/** A converged world: bridge with the host address, eth0 enslaved, our veth pair, eth1 configured. */
function converged(): { obs: NetObservation } {
  const hostLinks = [
    link({ name: 'lo', ifindex: 1 }),
    link({ name: 'eth0', ifindex: 2, master: 'br0', kind: 'veth', mac: '02:42:c0:a8:74:70' }),
    link({ name: 'br0', ifindex: 3, kind: 'bridge', mac: '02:42:c0:a8:74:70', addresses: [{ ip: '192.168.116.112', prefix: 24 }] }),
    link({ name: D.hostVeth, ifindex: 9, master: 'br0', kind: 'veth', peerIfindex: 2, peerInOtherNetns: true }),
  ];
  const cLinks = [
    link({ name: 'lo', ifindex: 1 }),
    link({ name: 'eth0', ifindex: 5, kind: 'veth', peerIfindex: 6, peerInOtherNetns: true, addresses: [{ ip: '172.17.0.2', prefix: 16 }] }),
    link({
      name: 'eth1',
      ifindex: 2,
      kind: 'veth',
      peerIfindex: 9,
      peerInOtherNetns: true,
      mac: '02:00:00:00:01:14',
      addresses: [{ ip: '192.168.116.114', prefix: 24 }],
    }),
  ];
  const routes: NetRoute[] = [
    { dst: 'default', gateway: '192.168.116.1', dev: 'eth1', onlink: false },
    { dst: '192.168.116.0/24', dev: 'eth1', onlink: false },
  ];
  return { obs: { host: { links: hostLinks, defaultRoutes: [] }, container: { links: cLinks, routes } } };
}

function input(mutate: (o: NetObservation) => void = () => {}, over: Partial<PlanInput> = {}): PlanInput {
  const { obs } = converged();
  mutate(obs);
  return { desired: D, obs, pid: PID, netns: NS, containerId: CID, previous: { containerID: CID, pid: PID }, ...over };
}

const kinds = (steps: Step[]) => steps.map((s) => s.kind);
const hostLink = (o: NetObservation, name: string) => o.host.links.find((l) => l.name === name)!;
const cLink = (o: NetObservation, name: string) => o.container!.links.find((l) => l.name === name)!;

test('a converged attachment plans nothing', () => {
  const plan = planAttachment(input());
  assert.deepEqual(plan, { steps: [], drifts: [] });
});

test('a converged attachment with a fixed MAC plans nothing', () => {
  const d = desired({ mac: '02:00:00:00:01:14' });
  const { obs } = converged();
  obs.host.links.find((l) => l.name === D.hostVeth)!.name = d.hostVeth;
  assert.equal(planAttachment({ desired: d, obs, pid: PID, netns: NS, containerId: CID }).steps.length, 0);
});

const cases: { name: string; mutate: (o: NetObservation) => void; over?: Partial<PlanInput>; steps: Step['kind'][]; reasons: string[] }[] =
  [
    {
      name: 'restarted container (no eth1, host veth gone) gets the full pipework sequence',
      mutate: (o) => {
        o.container!.links = o.container!.links.filter((l) => l.name !== 'eth1');
        o.host.links = o.host.links.filter((l) => l.name !== D.hostVeth);
        o.container!.routes = [];
      },
      over: { previous: { containerID: CID, pid: 1111 } },
      steps: ['create-veth', 'set-address', 'link-up', 'gateway', 'arping'],
      reasons: ['ContainerRestarted'],
    },
    {
      name: 'a container seen stopped (status without pid) and started again is a restart',
      mutate: (o) => {
        o.container!.links = o.container!.links.filter((l) => l.name !== 'eth1');
        o.host.links = o.host.links.filter((l) => l.name !== D.hostVeth);
      },
      over: { previous: { containerID: CID } },
      steps: ['create-veth', 'set-address', 'link-up', 'gateway', 'arping'],
      reasons: ['ContainerRestarted'],
    },
    {
      name: 're-created container (new ID) is named as such',
      mutate: (o) => {
        o.container!.links = o.container!.links.filter((l) => l.name !== 'eth1');
        o.host.links = o.host.links.filter((l) => l.name !== D.hostVeth);
      },
      over: { previous: { containerID: 'old'.repeat(20), pid: 1111 } },
      steps: ['create-veth', 'set-address', 'link-up', 'gateway', 'arping'],
      reasons: ['ContainerRecreated'],
    },
    {
      name: 'eth1 deleted inside the container (same pid) is InterfaceMissing; a leftover host veth is removed first',
      mutate: (o) => {
        o.container!.links = o.container!.links.filter((l) => l.name !== 'eth1');
      },
      steps: ['delete-host-link', 'create-veth', 'set-address', 'link-up', 'gateway', 'arping'],
      reasons: ['InterfaceMissing'],
    },
    {
      name: 'a half-done pair (peer still in the host namespace) is removed and re-created',
      mutate: (o) => {
        o.container!.links = o.container!.links.filter((l) => l.name !== 'eth1');
        o.host.links.push(link({ name: D.peerVeth, ifindex: 10, kind: 'veth', peerName: D.hostVeth }));
      },
      steps: ['delete-host-link', 'delete-host-link', 'create-veth', 'set-address', 'link-up', 'gateway', 'arping'],
      reasons: ['InterfaceMissing'],
    },
    {
      name: 'address changed by hand: replaced, old one removed, route and ARP again',
      mutate: (o) => {
        cLink(o, 'eth1').addresses = [{ ip: '192.168.116.200', prefix: 24 }];
      },
      steps: ['set-address', 'gateway', 'arping'],
      reasons: ['AddressChanged'],
    },
    {
      name: 'right IP with the wrong prefix is an address change',
      mutate: (o) => {
        cLink(o, 'eth1').addresses = [{ ip: '192.168.116.114', prefix: 16 }];
      },
      steps: ['set-address', 'gateway', 'arping'],
      reasons: ['AddressChanged'],
    },
    {
      name: 'an extra address next to the right one is removed',
      mutate: (o) => {
        cLink(o, 'eth1').addresses.push({ ip: '10.0.0.5', prefix: 8 });
      },
      steps: ['set-address', 'gateway', 'arping'],
      reasons: ['AddressChanged'],
    },
    {
      name: 'interface down: up again and the flushed route restored',
      mutate: (o) => {
        cLink(o, 'eth1').up = false;
      },
      steps: ['link-up', 'gateway'],
      reasons: ['InterfaceDown'],
    },
    {
      name: 'default route pointing elsewhere is replaced',
      mutate: (o) => {
        o.container!.routes[0] = { dst: 'default', gateway: '172.17.0.1', dev: 'eth0', onlink: false };
      },
      steps: ['gateway'],
      reasons: ['GatewayRouteChanged'],
    },
    {
      name: 'missing default route is added',
      mutate: (o) => {
        o.container!.routes = o.container!.routes.filter((r) => r.dst !== 'default');
      },
      steps: ['gateway'],
      reasons: ['GatewayRouteChanged'],
    },
    {
      name: 'host veth taken off the bridge is put back',
      mutate: (o) => {
        delete hostLink(o, D.hostVeth).master;
      },
      steps: ['host-veth-master'],
      reasons: ['HostVethDetached'],
    },
    {
      name: 'host veth down is set up',
      mutate: (o) => {
        hostLink(o, D.hostVeth).up = false;
      },
      steps: ['host-veth-up'],
      reasons: ['HostVethDown'],
    },
    {
      name: 'bridge down is set up',
      mutate: (o) => {
        hostLink(o, 'br0').up = false;
      },
      steps: ['bridge-up'],
      reasons: ['BridgeDown'],
    },
    {
      name: 'br0 deleted: bridge, uplink and veth come back as ONE drift',
      mutate: (o) => {
        o.host.links = o.host.links.filter((l) => l.name !== 'br0');
        delete hostLink(o, 'eth0').master;
        delete hostLink(o, D.hostVeth).master;
      },
      steps: ['create-bridge', 'bridge-up', 'uplink-to-bridge', 'host-veth-master'],
      reasons: ['BridgeMissing'],
    },
    {
      name: 'fresh host: bridge created, uplink and its address and default route moved, then the pair',
      mutate: (o) => {
        o.host.links = o.host.links.filter((l) => l.name !== 'br0' && l.name !== D.hostVeth);
        const eth0 = hostLink(o, 'eth0');
        delete eth0.master;
        eth0.addresses = [{ ip: '192.168.116.112', prefix: 24 }];
        o.host.defaultRoutes = [{ dst: 'default', gateway: '192.168.116.1', dev: 'eth0', onlink: false }];
        o.container!.links = o.container!.links.filter((l) => l.name !== 'eth1');
        o.container!.routes = [];
      },
      over: { previous: {} },
      steps: ['create-bridge', 'bridge-up', 'uplink-to-bridge', 'create-veth', 'set-address', 'link-up', 'gateway', 'arping'],
      reasons: ['BridgeMissing', 'InterfaceMissing'],
    },
    {
      name: 'uplink enslaved but still holding its address: only the address moves',
      mutate: (o) => {
        hostLink(o, 'eth0').addresses = [{ ip: '192.168.116.112', prefix: 24 }];
      },
      steps: ['uplink-to-bridge'],
      reasons: ['UplinkNotBridged'],
    },
    {
      name: 'a stale pair of an older incarnation (other swv veth) is replaced',
      mutate: (o) => {
        o.host.links = o.host.links.filter((l) => l.name !== D.hostVeth);
        o.host.links.push(
          link({ name: 'swv000000000000', ifindex: 9, master: 'br0', kind: 'veth', peerIfindex: 2, peerInOtherNetns: true }),
        );
      },
      steps: ['delete-container-link', 'create-veth', 'set-address', 'link-up', 'gateway', 'arping'],
      reasons: ['StaleInterface'],
    },
  ];

for (const c of cases) {
  test(`plan: ${c.name}`, () => {
    const plan = planAttachment(input(c.mutate, c.over));
    assert.equal(plan.blocked, undefined);
    assert.deepEqual(kinds(plan.steps), c.steps);
    assert.deepEqual(
      plan.drifts.map((d) => d.reason),
      c.reasons,
    );
    for (const d of plan.drifts) assert.ok(d.found.length > 0);
  });
}

test('the bridge is created with the uplink MTU and the veth gets the bridge MTU', () => {
  const plan = planAttachment(
    input((o) => {
      o.host.links = o.host.links.filter((l) => l.name !== 'br0' && l.name !== D.hostVeth);
      hostLink(o, 'eth0').mtu = 1450;
      delete hostLink(o, 'eth0').master;
      o.container!.links = o.container!.links.filter((l) => l.name !== 'eth1');
    }),
  );
  const create = plan.steps.find((s) => s.kind === 'create-bridge');
  const veth = plan.steps.find((s) => s.kind === 'create-veth');
  assert.deepEqual(create, { kind: 'create-bridge', bridge: 'br0', mtu: 1450 });
  assert.equal(veth?.kind === 'create-veth' && veth.mtu, 1450);
  const up = plan.steps.find((s) => s.kind === 'uplink-to-bridge');
  assert.equal(up?.kind === 'uplink-to-bridge' && up.mac, '02:42:c0:a8:74:70');
});

test('an existing bridge keeps its MTU for new veths', () => {
  const plan = planAttachment(
    input((o) => {
      hostLink(o, 'br0').mtu = 9000;
      o.container!.links = o.container!.links.filter((l) => l.name !== 'eth1');
      o.host.links = o.host.links.filter((l) => l.name !== D.hostVeth);
    }),
  );
  const veth = plan.steps.find((s) => s.kind === 'create-veth');
  assert.equal(veth?.kind === 'create-veth' && veth.mtu, 9000);
});

test('a wrong MAC is set when the spec fixes one', () => {
  const d = desired({ mac: '02:00:00:00:01:15' });
  const { obs } = converged();
  obs.host.links.find((l) => l.name === D.hostVeth)!.name = d.hostVeth;
  const plan = planAttachment({ desired: d, obs, pid: PID, netns: NS, containerId: CID });
  assert.deepEqual(kinds(plan.steps), ['set-mac', 'arping']);
  assert.deepEqual(
    plan.drifts.map((x) => x.reason),
    ['MacChanged'],
  );
});

test('without a gateway no route is planned', () => {
  const d = desired({ gateway: undefined });
  const { obs } = converged();
  obs.container!.routes = [];
  assert.equal(planAttachment({ desired: d, obs, pid: PID, netns: NS, containerId: CID }).steps.length, 0);
});

test('without an uplink the host NIC is never touched', () => {
  const d = desired({ uplink: undefined });
  const { obs } = converged();
  const eth0 = obs.host.links.find((l) => l.name === 'eth0')!;
  delete eth0.master;
  eth0.addresses = [{ ip: '192.168.116.112', prefix: 24 }];
  assert.equal(planAttachment({ desired: d, obs, pid: PID, netns: NS, containerId: CID }).steps.length, 0);
});

const blocked: { name: string; mutate: (o: NetObservation) => void; reason: string }[] = [
  { name: 'a non-bridge link named like the bridge', mutate: (o) => (hostLink(o, 'br0').kind = 'veth'), reason: 'BridgeConflict' },
  {
    name: 'an uplink that does not exist',
    mutate: (o) => (o.host.links = o.host.links.filter((l) => l.name !== 'eth0')),
    reason: 'UplinkNotFound',
  },
  {
    name: "an eth1 swarmop did not make (Docker's own network)",
    mutate: (o) => {
      const e = cLink(o, 'eth1');
      e.peerIfindex = 77;
      o.host.links.push(link({ name: 'veth1234567', ifindex: 77, kind: 'veth', master: 'docker0' }));
    },
    reason: 'InterfaceConflict',
  },
];
for (const b of blocked) {
  test(`plan refuses to touch anything for ${b.name}`, () => {
    const plan = planAttachment(input(b.mutate));
    assert.equal(plan.blocked?.reason, b.reason);
    assert.deepEqual(plan.steps, []);
  });
}

/** The converged world, but eth1 was attached by pipework: its host end is `veth1pl<pid>` on br0, and no swv link exists. */
function pipeworkAttached(o: NetObservation): void {
  const ours = hostLink(o, D.hostVeth);
  ours.name = 'veth1pl4242';
  delete ours.peerIfindex;
}

test('a pipework-attached eth1 with the declared address on the declared bridge is adopted as it is: only its host end is renamed', () => {
  const plan = planAttachment(input(pipeworkAttached));
  assert.deepEqual(plan.steps, [{ kind: 'adopt-host-veth', name: 'veth1pl4242', hostVeth: D.hostVeth }]);
  assert.deepEqual(plan.drifts, [
    {
      reason: 'InterfaceAdopted',
      found: 'eth1 in ubuntu114 holds 192.168.116.114/24 on a veth pair another tool made (host end veth1pl4242 on br0)',
    },
  ]);
  assert.equal(plan.blocked, undefined);
});

test('once adopted (the host end carries our name), the pair is ours: nothing more is planned, and drift is repaired as usual', () => {
  // After the rename the observation is the converged one again.
  assert.deepEqual(planAttachment(input()), { steps: [], drifts: [] });
  const plan = planAttachment(input((o) => (cLink(o, 'eth1').addresses = [])));
  assert.deepEqual(kinds(plan.steps), ['set-address', 'gateway', 'arping']);
});

test('adoption repairs the rest of the declared state in the same pass, under our name (no address flap: the address is kept)', () => {
  const plan = planAttachment(
    input((o) => {
      pipeworkAttached(o);
      hostLink(o, 'veth1pl4242').up = false;
      o.container!.routes = o.container!.routes.filter((r) => r.dst !== 'default');
    }),
  );
  assert.deepEqual(plan.steps, [
    { kind: 'adopt-host-veth', name: 'veth1pl4242', hostVeth: D.hostVeth },
    { kind: 'host-veth-up', name: D.hostVeth },
    { kind: 'gateway', netns: NS, iface: 'eth1', gateway: '192.168.116.1' },
  ]);
  assert.ok(!plan.steps.some((s) => s.kind === 'set-address' || s.kind === 'delete-container-link' || s.kind === 'create-veth'));
  assert.deepEqual(
    plan.drifts.map((x) => x.reason),
    ['InterfaceAdopted', 'HostVethDown', 'GatewayRouteChanged'],
  );
});

test('a leftover host end of ours (its container end gone) is removed before the pipework pair takes its name', () => {
  const plan = planAttachment(
    input((o) => {
      pipeworkAttached(o);
      o.host.links.push(link({ name: D.hostVeth, ifindex: 30, master: 'br0', kind: 'veth' }));
    }),
  );
  assert.deepEqual(kinds(plan.steps), ['delete-host-link', 'adopt-host-veth']);
  assert.deepEqual(plan.steps[0], { kind: 'delete-host-link', name: D.hostVeth });
});

const notAdoptable: { name: string; mutate: (o: NetObservation) => void }[] = [
  { name: 'its host end is on another bridge', mutate: (o) => (hostLink(o, 'veth1pl4242').master = 'br1') },
  { name: 'its host end is on no bridge', mutate: (o) => delete hostLink(o, 'veth1pl4242').master },
  { name: 'it holds another address', mutate: (o) => (cLink(o, 'eth1').addresses = [{ ip: '192.168.116.115', prefix: 24 }]) },
  {
    name: 'it holds the address with another prefix',
    mutate: (o) => (cLink(o, 'eth1').addresses = [{ ip: '192.168.116.114', prefix: 16 }]),
  },
  { name: 'it holds no address', mutate: (o) => (cLink(o, 'eth1').addresses = []) },
  { name: 'it is not a veth', mutate: (o) => (cLink(o, 'eth1').kind = 'macvlan') },
  { name: "its peer is not in the host's namespace", mutate: (o) => (cLink(o, 'eth1').peerIfindex = 99) },
];
for (const n of notAdoptable) {
  test(`a foreign eth1 is not adopted, and nothing is touched, when ${n.name}`, () => {
    const plan = planAttachment(
      input((o) => {
        pipeworkAttached(o);
        n.mutate(o);
      }),
    );
    assert.equal(plan.blocked?.reason, 'InterfaceConflict');
    assert.deepEqual(plan.steps, []);
    assert.deepEqual(plan.drifts, []);
  });
}

test('the conflict message says what adoption needs', () => {
  const plan = planAttachment(
    input((o) => {
      pipeworkAttached(o);
      hostLink(o, 'veth1pl4242').master = 'docker0';
    }),
  );
  assert.equal(
    plan.blocked?.message,
    'eth1 in ubuntu114 exists and was not made by swarmop (veth link, host end veth1pl4242 on docker0); it is taken over only as a veth whose host end is on br0 and that holds 192.168.116.114/24',
  );
});
