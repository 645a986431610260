/**
 * `apply --watch`: apply everything once, then re-apply files as they change (debounced, so an
 * editor's write-rename-write is one apply). Each file remembers the resources it declared; a
 * resource that no file declares any more is only deleted with --prune, and every prune is printed.
 * With an applyset or a selector, each change applies the whole set and the store's record of
 * the set decides what is pruned (the same as a one-shot `apply --prune --applyset`).
 * Invalid edits are reported and skipped; the watch keeps running until the signal aborts.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { watch } from 'chokidar';
import type { CliContext } from '../program/cli-context.js';
import { listManifestFiles, type ManifestSource } from '../manifests/manifest-sources.js';
import { validateSources } from '../manifests/load-manifests.js';
import { refOf } from '../resources/kind-lookup.js';
import {
  applyResources,
  applyValidation,
  dryRunSuffix,
  type ApplySettings,
  type DryRun,
  type PruneSet,
} from '../manifests/apply-resources.js';

export interface WatchApplyOptions {
  paths: readonly string[];
  recursive: boolean;
  prune: boolean;
  dryRun: DryRun;
  /** Field manager and applyset of every apply. */
  settings: Omit<ApplySettings, 'prune' | 'mode'>;
  /**
   * With --prune and --applyset / -l: every change re-applies all the files as one set, and the
   * prune is the store's (the set's members in the store), as a one-shot `apply --prune` does.
   */
  pruneSet?: PruneSet;
  /** Quiet period after the last change before applying (default 300 ms). */
  debounceMs?: number;
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

interface Owned {
  kind: string;
  name: string;
}

export async function watchAndApply(ctx: CliContext, options: WatchApplyOptions): Promise<void> {
  const { io } = ctx;
  const debounceMs = options.debounceMs ?? 300;
  /** absolute path -> refs declared by that file at its last successful apply */
  const owned = new Map<string, Map<string, Owned>>();
  const display = (abs: string): string => {
    const rel = path.relative(io.cwd, abs);
    return rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel;
  };

  /** Sources named for display, each with the absolute path it was read from. */
  const readSources = async (files: Iterable<string>): Promise<(ManifestSource & { abs: string })[]> => {
    const out: (ManifestSource & { abs: string })[] = [];
    for (const abs of files) {
      const bytes = await readFile(abs).catch(() => undefined);
      if (bytes !== undefined) out.push({ file: display(abs), abs, bytes });
    }
    return out;
  };

  const prune = async (refs: Map<string, Owned>, why: string): Promise<void> => {
    const stillDeclared = new Set([...owned.values()].flatMap((m) => [...m.keys()]));
    for (const [ref, o] of refs) {
      if (stillDeclared.has(ref)) continue;
      if (!options.prune) {
        io.stderr(`${ref} is no longer declared (${why}); not deleted (use --prune)\n`);
        continue;
      }
      if (options.dryRun !== 'none') {
        io.stdout(`${ref} pruned${dryRunSuffix(options.dryRun)}\n`);
        continue;
      }
      const result = await ctx.open().store.delete(o.kind, o.name);
      if (result === 'deleted') io.stdout(`${ref} pruned (${why})\n`);
      else if (result === 'terminating') io.stdout(`${ref} deletion requested (pruned: ${why})\n`);
    }
  };

  const settings = (): ApplySettings => ({
    ...options.settings,
    mode: options.dryRun,
    ...(options.prune && options.pruneSet ? { prune: options.pruneSet } : {}),
  });

  /** The whole set, applied and pruned as one (the store records the set). */
  const applySet = async (): Promise<void> => {
    const all: string[] = [];
    for (const p of options.paths)
      all.push(...(await listManifestFiles(p, { cwd: io.cwd, recursive: options.recursive })).map((f) => path.resolve(io.cwd, f)));
    const loaded = validateSources(await readSources(all), applyValidation(settings()));
    if (loaded.errors.length > 0) {
      for (const e of loaded.errors) io.stderr(`${e}\n`);
      io.stderr(`error: ${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'} in the manifests; nothing applied\n`);
      return;
    }
    await applyResources(ctx, loaded, settings());
  };

  const applyFiles = async (files: readonly string[]): Promise<void> => {
    if (options.pruneSet) return applySet();
    if (files.length === 0) return;
    // Validated one file at a time so each resource stays tied to the file that declares it.
    const validation = applyValidation(settings());
    const perFile = (await readSources(files)).map((s) => ({ abs: s.abs, ...validateSources([s], validation) }));
    const errors = perFile.flatMap((p) => p.errors);
    if (errors.length > 0) {
      for (const e of errors) io.stderr(`${e}\n`);
      io.stderr(
        `error: ${errors.length} error${errors.length === 1 ? '' : 's'} in the manifests; nothing applied from ${files.map(display).join(', ')}\n`,
      );
      return;
    }
    const resources = perFile.flatMap((p) => p.resources);
    const written = perFile.flatMap((p) => p.written);
    if (resources.length > 0) await applyResources(ctx, { resources, written }, settings());
    const dropped = new Map<string, Owned>();
    for (const { abs: file, resources: declared } of perFile) {
      const next = new Map(declared.map((r) => [refOf(r), { kind: r.kind, name: r.metadata.name }] as const));
      for (const [ref, o] of owned.get(file) ?? []) if (!next.has(ref)) dropped.set(ref, o);
      owned.set(file, next);
    }
    if (dropped.size > 0) await prune(dropped, 'removed from its file');
  };

  const removeFiles = async (files: readonly string[]): Promise<void> => {
    if (options.pruneSet) {
      for (const file of files) io.stderr(`${display(file)} removed\n`);
      if (files.length > 0) await applySet();
      return;
    }
    const dropped = new Map<string, Owned>();
    for (const file of files) {
      for (const [ref, o] of owned.get(file) ?? []) dropped.set(ref, o);
      owned.delete(file);
      io.stderr(`${display(file)} removed\n`);
    }
    if (dropped.size > 0) await prune(dropped, 'file removed');
  };

  // Initial pass over everything the paths hold now.
  const initial: string[] = [];
  for (const p of options.paths) {
    const files = await listManifestFiles(p, { cwd: io.cwd, recursive: options.recursive });
    initial.push(...files.map((f) => path.resolve(io.cwd, f)));
  }
  await report(io, () => applyFiles(initial));

  const changed = new Set<string>();
  const removed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const flush = (): void => {
    timer = undefined;
    const toApply = [...changed].filter((f) => !removed.has(f));
    const toRemove = [...removed];
    changed.clear();
    removed.clear();
    running = running.then(() =>
      report(io, async () => {
        await removeFiles(toRemove);
        await applyFiles(toApply);
      }),
    );
  };
  const schedule = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, debounceMs);
  };

  const watcher = watch(
    options.paths.map((p) => path.resolve(io.cwd, p)),
    {
      ignoreInitial: true,
      ...(options.recursive ? {} : { depth: 0 }),
      ignored: (p, stats) => stats?.isFile() === true && !MANIFEST_EXT.test(p),
    },
  );
  const touched = (p: string): void => {
    const abs = path.resolve(p);
    changed.add(abs);
    removed.delete(abs);
    schedule();
  };
  watcher.on('add', touched);
  watcher.on('change', touched);
  watcher.on('unlink', (p) => {
    const abs = path.resolve(p);
    removed.add(abs);
    changed.delete(abs);
    schedule();
  });
  watcher.on('error', (err) => io.stderr(`watch error: ${err instanceof Error ? err.message : String(err)}\n`));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  io.stderr(`watching ${options.paths.join(', ')} for changes (Ctrl-C to stop)\n`);

  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  if (timer) clearTimeout(timer);
  await watcher.close();
  await running;
}

/** Errors inside a watch are printed, never fatal: the next edit may fix them. */
async function report(io: CliContext['io'], body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}
