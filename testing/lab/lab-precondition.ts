/**
 * The precondition of a lab integration suite: its engines answer. A missing lab fails the suite
 * with the command to run; it is not a skip, because a skipped suite leaves CI green while testing
 * nothing. The only opt-out is SWARMOP_LAB_OPTIONAL=1 outside CI, which turns the problem into a
 * real skip with its reason (hack/test.sh counts skips and fails under CI when there are any).
 *
 * Probes are patient: an engine on a loaded two-core machine can take seconds to answer a ping, and
 * a slow engine is not a missing lab.
 */
import type Docker from 'dockerode';

export const LAB_UP_HINT =
  'start it with `hack/lab.sh up` (the lab lock: `flock /tmp/swarmop-lab.lock hack/lab.sh up`), or run `npm test`, which starts it';

export interface ProbeOptions {
  /** Attempts before giving up (default 4). */
  attempts?: number;
  /** Time one attempt may take (default 15 s). */
  timeoutMs?: number;
  /** Pause between attempts, doubled each time (default 1 s). */
  backoffMs?: number;
}

/** Runs `probe` until it resolves, with a timeout per attempt; returns the last error's message, or undefined on success. */
export async function patiently(probe: () => Promise<unknown>, options: ProbeOptions = {}): Promise<string | undefined> {
  const attempts = options.attempts ?? 4;
  const timeoutMs = options.timeoutMs ?? 15_000;
  let pause = options.backoffMs ?? 1000;
  let last = '';
  for (let i = 1; i <= attempts; i++) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        probe(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return undefined;
    } catch (err) {
      last = `${(err as Error).message} (attempt ${i}/${attempts})`;
    } finally {
      clearTimeout(timer);
    }
    if (i < attempts) {
      await new Promise((r) => setTimeout(r, pause));
      pause *= 2;
    }
  }
  return last;
}

/** Pings each engine patiently; the first one that never answers is the problem. */
export async function enginesProblem(
  hosts: readonly { name: string; endpoint: string; docker: Docker }[],
  options: ProbeOptions = {},
): Promise<string | undefined> {
  for (const h of hosts) {
    const err = await patiently(() => h.docker.ping(), options);
    if (err) return `lab host ${h.name} (${h.endpoint}) does not answer: ${err}`;
  }
  return undefined;
}

/** True when a lab problem may become a skip instead of a failure (never under CI). */
export function labOptional(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.SWARMOP_LAB_OPTIONAL === '1' && !isCI(env);
}

export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI.toLowerCase() !== 'false';
}

/**
 * Turns a suite's precondition into `{ skip }` for node:test: false when the lab is fine; a skip
 * reason when the problem may be skipped (SWARMOP_LAB_OPTIONAL=1, not CI); otherwise it throws, so
 * the file fails at load with `suite: problem; what to run`.
 */
export function labSkip(suite: string, problem: string | undefined, env: NodeJS.ProcessEnv = process.env): false | string {
  if (!problem) return false;
  const message = `${suite}: ${problem}; ${LAB_UP_HINT}`;
  if (labOptional(env)) return `${message} (skipped: SWARMOP_LAB_OPTIONAL=1)`;
  throw new Error(`${message}. A lab suite fails rather than skips; SWARMOP_LAB_OPTIONAL=1 (not under CI) makes it a counted skip.`);
}
