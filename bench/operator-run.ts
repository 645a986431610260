/**
 * What the benchmarks that drive the real operator process share: the built CLI against a store
 * and prefix, a summary of the operator's warnings, and a stop that says when SIGTERM did not drain.
 */
import { join } from 'node:path';
import { runOrThrow } from '../e2e/framework/shell.js';
import { REPO_ROOT, type OperatorProcess } from '../testing/harness/operator-process.js';

/** `swarmop ARGS` (bin/swarmop.js, as users run it) against `storeAddr` under `prefix`; its stdout, or throws with its stderr. */
export function swarmopCli(storeAddr: string, prefix: string, args: readonly string[], input?: string): Promise<string> {
  return runOrThrow(process.execPath, [join(REPO_ROOT, 'bin', 'swarmop.js'), ...args], {
    env: { ...process.env, CONSUL_HTTP_ADDR: storeAddr, SWARMOP_PREFIX: prefix },
    ...(input === undefined ? {} : { input }),
    timeoutMs: 60_000,
  });
}

/** The operator's warning and error lines counted by message ("none" when there were none). */
export function warnSummary(op: OperatorProcess): string {
  const count = new Map<string, number>();
  for (const l of op.lines)
    if (l.level === 'warn' || l.level === 'error') count.set(String(l.message), (count.get(String(l.message)) ?? 0) + 1);
  return [...count].map(([m, n]) => `${m} x${n}`).join('; ') || 'none';
}

/** SIGTERM must drain and exit; when it does not within 15 s (OperatorProcess.stop then kills it), say so with its last lines. */
export async function stopOperator(op: OperatorProcess): Promise<void> {
  try {
    await op.stop('SIGTERM', 15_000);
  } catch {
    console.log(`WARNING: the operator did not exit within 15 s of SIGTERM; last lines:\n${op.dump(15)}`);
  }
}
