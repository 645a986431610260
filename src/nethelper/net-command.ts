/**
 * A network change as data: which namespace, which program, which arguments. Plans produce these;
 * they become argument arrays (HelperCommand) in one place only, `toHelperCommand`, when the
 * helper program is written, so nothing downstream has to read intent back out of argv.
 */
import { type HelperCommand, inNetns } from './helper-program.js';

/** Where a command runs: the host's network namespace, or a container's, entered through its netns file. */
export type Netns = { kind: 'host' } | { kind: 'container'; file: string };

export const HOST_NETNS: Netns = { kind: 'host' };

export const containerNetns = (file: string): Netns => ({ kind: 'container', file });

interface CommandBase {
  /** A failure stops the program (`must`) or is recorded and skipped (`may`). */
  mode: HelperCommand['mode'];
  netns: Netns;
}

/** An `ip` subcommand (`link set eth1 up`): no global options, so it can join an `ip -batch`. */
export interface IpCommand extends CommandBase {
  ip: readonly string[];
}

/** Any other program, run as given. */
export interface ExecCommand extends CommandBase {
  argv: readonly string[];
}

export type NetCommand = IpCommand | ExecCommand;

export const isIpCommand = (c: NetCommand): c is IpCommand => 'ip' in c;

export function sameNetns(a: Netns, b: Netns): boolean {
  return a.kind === 'host' ? b.kind === 'host' : b.kind === 'container' && a.file === b.file;
}

/** argv run in `netns`: as is on the host, through nsenter into a container's. */
export function inNamespace(netns: Netns, argv: readonly string[]): string[] {
  return netns.kind === 'host' ? [...argv] : inNetns(netns.file, argv);
}

/** The one place a command is flattened to the argument array the helper program runs. */
export function toHelperCommand(c: NetCommand): HelperCommand {
  return { mode: c.mode, argv: inNamespace(c.netns, isIpCommand(c) ? ['ip', ...c.ip] : c.argv) };
}
