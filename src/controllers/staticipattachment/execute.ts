/**
 * Steps -> typed network commands (net-command.ts): pipework's commands, each with the namespace
 * it runs in (the host's, or the container's through its netns file). They become argument arrays
 * only when the helper program is written (applyProgram). Every value was validated by
 * desiredFor() or comes from the kernel's own JSON output.
 */
import type { HelperCommand } from '../../nethelper/helper-program.js';
import { batchIpCommands } from '../../nethelper/ip-batch.js';
import { containerNetns, HOST_NETNS, toHelperCommand, type NetCommand, type Netns } from '../../nethelper/net-command.js';
import type { Step } from './plan.js';

/** `ip ARGS` on the host. */
const must = (...ip: string[]): NetCommand => ({ mode: 'must', netns: HOST_NETNS, ip });
const may = (...ip: string[]): NetCommand => ({ mode: 'may', netns: HOST_NETNS, ip });
/** `ip ARGS` in a container's namespace. */
const mustIn = (file: string, ...ip: string[]): NetCommand => ({ mode: 'must', netns: containerNetns(file), ip });
const mayIn = (file: string, ...ip: string[]): NetCommand => ({ mode: 'may', netns: containerNetns(file), ip });
const mayExec = (netns: Netns, ...argv: string[]): NetCommand => ({ mode: 'may', netns, argv });

export function stepCommands(step: Step): NetCommand[] {
  switch (step.kind) {
    case 'create-bridge':
      // `may`: attachments sharing a bridge race to create it; `bridge-up` (must) follows and fails if it is really missing.
      return [may('link', 'add', 'name', step.bridge, 'mtu', String(step.mtu), 'type', 'bridge')];
    case 'bridge-up':
      return [must('link', 'set', step.bridge, 'up')];
    case 'uplink-to-bridge': {
      const cmds: NetCommand[] = [];
      if (step.mac) cmds.push(must('link', 'set', step.bridge, 'address', step.mac));
      if (step.enslave) cmds.push(must('link', 'set', step.uplink, 'master', step.bridge));
      // The address goes onto the bridge before it leaves the NIC; `replace` keeps a re-run idempotent.
      for (const a of step.addresses) cmds.push(must('addr', 'replace', `${a.ip}/${a.prefix}`, 'dev', step.bridge));
      for (const a of step.addresses) cmds.push(may('addr', 'del', `${a.ip}/${a.prefix}`, 'dev', step.uplink));
      if (step.defaultGateway) cmds.push(must('route', 'replace', 'default', 'via', step.defaultGateway, 'dev', step.bridge));
      return cmds;
    }
    case 'delete-host-link':
      // `may`: deleting one end of a veth takes the other with it, so the second delete can miss.
      return [may('link', 'del', step.name)];
    case 'host-veth-master':
      return [must('link', 'set', step.name, 'master', step.bridge)];
    case 'host-veth-up':
      return [must('link', 'set', step.name, 'up')];
    case 'adopt-host-veth':
      return [
        // Current kernels rename a link while it is up, so the container's traffic never stops.
        may('link', 'set', 'dev', step.name, 'name', step.hostVeth),
        // A kernel that refuses (EBUSY): down, rename, up. Each fails harmlessly once the first rename worked.
        may('link', 'set', 'dev', step.name, 'down'),
        may('link', 'set', 'dev', step.name, 'name', step.hostVeth),
        // Fails when neither rename worked, which stops the program and is retried.
        must('link', 'set', 'dev', step.hostVeth, 'up'),
      ];
    case 'delete-container-link':
      return [mustIn(step.netns, 'link', 'del', step.name)];
    case 'create-veth':
      return [
        // The peer is created straight inside the container's namespace (`netns` takes its file), under its
        // final name: the name only has to be free there, and if it is not, nothing is created.
        must(
          'link',
          'add',
          step.hostVeth,
          'mtu',
          String(step.mtu),
          'master',
          step.bridge,
          'up',
          'type',
          'veth',
          'peer',
          'name',
          step.iface,
          'mtu',
          String(step.mtu),
          'netns',
          step.netns,
        ),
      ];
    case 'set-mac':
      return [mustIn(step.netns, 'link', 'set', step.iface, 'address', step.mac)];
    case 'set-address':
      return [
        ...step.remove.map((a) => mayIn(step.netns, 'addr', 'del', `${a.ip}/${a.prefix}`, 'dev', step.iface)),
        mustIn(step.netns, 'addr', 'replace', step.cidr, 'dev', step.iface),
      ];
    case 'link-up':
      return [mustIn(step.netns, 'link', 'set', step.iface, 'up')];
    case 'gateway':
      return [mustIn(step.netns, 'route', 'replace', 'default', 'via', step.gateway, 'dev', step.iface)];
    case 'bridge-to-uplink':
      return [
        must('link', 'set', step.uplink, 'nomaster'),
        ...step.addresses.map((a) => must('addr', 'replace', `${a.ip}/${a.prefix}`, 'dev', step.uplink)),
        ...(step.defaultGateway ? [must('route', 'replace', 'default', 'via', step.defaultGateway, 'dev', step.uplink)] : []),
      ];
    case 'delete-bridge':
      return [must('link', 'del', step.bridge)];
    case 'arping':
      // Gratuitous ARP so neighbours drop a stale MAC at once; optional (pipework skips it without arping).
      // arping waits a full second for replies that never come: detach it (fixed script, values as
      // positional arguments) so the repair does not wait for it.
      return [
        mayExec(
          containerNetns(step.netns),
          'sh',
          '-c',
          'command -v arping >/dev/null || exit 0; setsid -f "$@" >/dev/null 2>&1 </dev/null',
          'arping',
          'arping',
          '-c',
          '1',
          '-U',
          '-I',
          step.iface,
          step.ip,
        ),
      ];
  }
}

/** The commands of `steps` one by one, as argument arrays (what applyProgram batches). */
export function planCommands(steps: readonly Step[]): HelperCommand[] {
  return steps.flatMap(stepCommands).map(toHelperCommand);
}

/** The program that applies `steps`: their commands, each namespace's consecutive ip commands as one batch. */
export function applyProgram(steps: readonly Step[]): HelperCommand[] {
  return batchIpCommands(steps.flatMap(stepCommands));
}

/** Short human summary of what a plan does, for the repair's `action`. */
export function describeSteps(steps: readonly Step[]): string {
  return steps
    .filter((s) => s.kind !== 'arping')
    .map((s) => {
      switch (s.kind) {
        case 'create-bridge':
          return `created bridge ${s.bridge} (mtu ${s.mtu})`;
        case 'bridge-up':
          return `set ${s.bridge} up`;
        case 'uplink-to-bridge':
          return `moved ${s.uplink}${s.addresses.length ? ` and ${s.addresses.map((a) => `${a.ip}/${a.prefix}`).join(',')}` : ''} onto ${s.bridge}`;
        case 'delete-host-link':
          return `deleted ${s.name}`;
        case 'host-veth-master':
          return `attached ${s.name} to ${s.bridge}`;
        case 'host-veth-up':
          return `set ${s.name} up`;
        case 'adopt-host-veth':
          return `adopted ${s.name} as ${s.hostVeth}`;
        case 'delete-container-link':
          return `deleted stale ${s.name}`;
        case 'create-veth':
          return `created ${s.hostVeth} on ${s.bridge} with ${s.iface} in its container`;
        case 'set-mac':
          return `set MAC ${s.mac}`;
        case 'set-address':
          return `set ${s.cidr}${s.remove.length ? ` (removed ${s.remove.map((a) => `${a.ip}/${a.prefix}`).join(',')})` : ''}`;
        case 'link-up':
          return `set ${s.iface} up`;
        case 'gateway':
          return `default via ${s.gateway}`;
        case 'bridge-to-uplink':
          return `moved ${s.uplink}${s.addresses.length ? ` and ${s.addresses.map((a) => `${a.ip}/${a.prefix}`).join(',')}` : ''} back off ${s.bridge}`;
        case 'delete-bridge':
          return `deleted bridge ${s.bridge}`;
      }
    })
    .join('; ');
}
