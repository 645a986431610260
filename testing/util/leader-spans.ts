/**
 * Leading intervals of operator processes from their own JSON log lines (`started leading` ..
 * `stopped leading`, or the process's end when it was killed while leading), timed by the lines'
 * `ts` (one machine, one clock), and the pairs of intervals of different processes that overlap:
 * two leaders at once.
 */
export interface LeaderLog {
  name: string;
  lines: readonly Record<string, unknown>[];
  /** When the process was seen gone (ms since epoch); undefined while it runs. */
  endedAt?: number;
}

export interface LeaderSpan {
  name: string;
  from: number;
  to: number;
}

export function leaderSpans(procs: readonly LeaderLog[]): LeaderSpan[] {
  const spans: LeaderSpan[] = [];
  for (const p of procs) {
    let from: number | undefined;
    for (const l of p.lines) {
      const msg = l.msg ?? l.message;
      if (msg !== 'started leading' && msg !== 'stopped leading') continue;
      const ts = Date.parse(String(l.ts ?? l.timestamp));
      if (Number.isNaN(ts)) throw new Error(`${p.name}: "${String(msg)}" line without a parsable ts: ${JSON.stringify(l)}`);
      if (msg === 'started leading') from ??= ts;
      else if (from !== undefined) {
        spans.push({ name: p.name, from, to: ts });
        from = undefined;
      }
    }
    if (from !== undefined) spans.push({ name: p.name, from, to: p.endedAt ?? Infinity });
  }
  return spans;
}

/** Overlapping spans of different processes, one line each. */
export function leaderOverlaps(procs: readonly LeaderLog[]): string[] {
  const spans = leaderSpans(procs);
  const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : 'still');
  const out: string[] = [];
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length; j++) {
      const a = spans[i]!;
      const b = spans[j]!;
      if (a.name !== b.name && a.from < b.to && b.from < a.to)
        out.push(`${a.name} led ${iso(a.from)}..${iso(a.to)} while ${b.name} led ${iso(b.from)}..${iso(b.to)}`);
    }
  }
  return out;
}
