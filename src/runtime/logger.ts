/**
 * Structured logs with winston. JSON lines when stdout is not a TTY (or format 'json'), one
 * readable line per entry otherwise. Log fixed messages and put the variable parts in fields, so
 * logs can be searched by field (controller, name, reconcileId, ...).
 *
 * Any field whose name contains "token" (gossip keys, ACL tokens, join tokens) is replaced by
 * "[redacted]" at any depth before a transport sees it: secrets are never logged.
 */
import { Writable } from 'node:stream';
import winston from 'winston';

export type LogFormat = 'json' | 'text' | 'auto';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type Logger = winston.Logger;

export interface LoggerOptions {
  format?: LogFormat;
  level?: LogLevel;
  /** Where lines go; default process.stdout. Tests pass a collecting stream. */
  stream?: NodeJS.WritableStream;
  /** Fields put on every line. */
  defaultMeta?: Record<string, unknown>;
}

const SECRET_KEY = /token|secret|password|gossipkey|encrypt/i;
const REDACTED = '[redacted]';

/** Returns a copy of `value` with secret-named fields replaced; cycles are cut. */
export function redactSecrets(value: unknown, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message, ...(value as object) };
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : redactSecrets(v, seen);
  return out;
}

// winston keeps level/message under Symbols too; only string keys are user fields.
const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message') continue;
    info[key] = SECRET_KEY.test(key) ? REDACTED : redactSecrets(info[key]);
  }
  return info;
});

function formatValue(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

const textLine = winston.format.printf((info) => {
  const { level, message, timestamp, ...fields } = info as Record<string, unknown>;
  const parts = [String(timestamp), String(level).toUpperCase().padEnd(5), String(message)];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) parts.push(`${k}=${formatValue(v)}`);
  return parts.join(' ');
});

/**
 * JSON lines with controller-runtime's keys first (`ts`, `level`, `msg`, `controller`, `name`,
 * `reconcileID`), so log queries written for controller-runtime operators work; `timestamp`,
 * `message` and `reconcileId` are kept as well for queries written against swarmop's older lines.
 */
const jsonLine = winston.format.printf((info) => {
  const { level, message, timestamp, controller, name, reconcileId, ...fields } = info as Record<string, unknown>;
  const out: Record<string, unknown> = { ts: timestamp, level, msg: message };
  if (controller !== undefined) out.controller = controller;
  if (name !== undefined) out.name = name;
  if (reconcileId !== undefined) out.reconcileID = reconcileId;
  Object.assign(out, fields, { message, timestamp });
  if (reconcileId !== undefined) out.reconcileId = reconcileId;
  return JSON.stringify(out);
});

export function resolveFormat(format: LogFormat, isTTY: boolean | undefined): 'json' | 'text' {
  if (format === 'auto') return isTTY ? 'text' : 'json';
  return format;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stdout;
  const isTTY = (stream as { isTTY?: boolean }).isTTY;
  const fmt = resolveFormat(options.format ?? 'auto', isTTY);
  return winston.createLogger({
    level: options.level ?? 'info',
    defaultMeta: options.defaultMeta,
    format: winston.format.combine(redact(), winston.format.timestamp(), fmt === 'json' ? jsonLine : textLine),
    transports: [new winston.transports.Stream({ stream })],
  });
}

/** A logger that drops everything (default for library code when the caller gives none). */
export function createSilentLogger(): Logger {
  return winston.createLogger({
    silent: true,
    transports: [new winston.transports.Stream({ stream: new Writable({ write: (_c, _e, cb) => cb() }) })],
  });
}

export interface DriftRepair {
  kind: string;
  name: string;
  host?: string;
  /** What was wrong, e.g. "eth1 missing in container web1". */
  what: string;
  /** Why it counts as drift, e.g. "container restarted". */
  why: string;
  /** What was done, e.g. "re-attached 192.168.1.114/24 on br0". */
  action: string;
}

/** One line per repair, always with the same message so repairs can be counted and searched. */
export function logDriftRepaired(log: Logger, repair: DriftRepair): void {
  log.info('drift repaired', { ...repair });
}
