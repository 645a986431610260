/** `swarmop config get-contexts|current-context|use-context|set-context|delete-context|view` */
import type { Command } from 'commander';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { SwarmopError } from '../../errors.js';
import {
  checkContext,
  PATH_KEYS,
  requireConfigFilePath,
  loadConfig,
  resolveUserPath,
  saveConfig,
  type NamedContext,
} from '../config/config-file.js';
import { parseBool, SETTING_ENV, type SettingKey } from '../config/connection-settings.js';
import { renderTable } from '../output/table.js';
import { withExamples } from '../program/examples.js';

/** Flag name (kebab-case) of each setting for set-context. */
const SET_FLAGS: ReadonlyArray<readonly [SettingKey, string, string]> = SETTING_ENV.map(([key, env]) => [
  key,
  key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
  env,
]);

function fileOf(ctx: CliContext): string {
  return requireConfigFilePath(ctx.flags().configFile, ctx.io.env, ctx.io.cwd);
}

export function registerConfig(program: Command, ctx: CliContext): void {
  const config = program
    .command('config')
    .description('named contexts (Consul address, token, TLS files, prefix) in the config file; flags and CONSUL_* variables still win');
  withExamples(config, [
    ['list the contexts, * marks the current one', 'swarmop config get-contexts'],
    [
      'add a context and switch to it',
      'swarmop config set-context prod --address https://10.0.0.5:8501 --ca-file /etc/consul/ca.pem --token-file ~/.prod-token && swarmop config use-context prod',
    ],
    ['one command against another fleet', 'swarmop --context lab get sia'],
  ]);

  const getContexts = config
    .command('get-contexts')
    .description('list the contexts')
    .option('-o, --output <format>', 'name: only the names')
    .action(
      action(ctx, async (opts: { output?: string }) => {
        const file = fileOf(ctx);
        const cfg = loadConfig(file);
        if (opts.output !== undefined && opts.output !== 'name')
          throw new SwarmopError('Invalid', `invalid output format "${opts.output}": use name`);
        if (opts.output === 'name') {
          ctx.io.stdout(cfg.contexts.map((c) => `${c.name}\n`).join(''));
          return ExitCode.Ok;
        }
        if (cfg.contexts.length === 0) {
          ctx.io.stderr(`No contexts in ${file}.\n`);
          return ExitCode.Ok;
        }
        const rows = cfg.contexts.map((c) => [c.name === cfg.currentContext ? '*' : '', c.name, c.address ?? '', c.prefix ?? '']);
        ctx.io.stdout(renderTable(['CURRENT', 'NAME', 'ADDRESS', 'PREFIX'], rows));
        return ExitCode.Ok;
      }),
    );
  withExamples(getContexts, [
    ['every context', 'swarmop config get-contexts'],
    ['names only', 'swarmop config get-contexts -o name'],
  ]);

  const current = config
    .command('current-context')
    .description('print the current context')
    .action(
      action(ctx, async () => {
        const file = fileOf(ctx);
        const cfg = loadConfig(file);
        if (cfg.currentContext === undefined) throw new SwarmopError('NotFound', `current context is not set in ${file}`);
        ctx.io.stdout(`${cfg.currentContext}\n`);
        return ExitCode.Ok;
      }),
    );
  withExamples(current, [['which fleet the next command talks to', 'swarmop config current-context']]);

  const use = config
    .command('use-context')
    .description('make a context the current one')
    .argument('<name>', 'context name')
    .action(
      action(ctx, async (name: string) => {
        const file = fileOf(ctx);
        const cfg = loadConfig(file);
        if (!cfg.contexts.some((c) => c.name === name)) {
          throw new SwarmopError(
            'NotFound',
            `no context "${name}" in ${file} (known: ${cfg.contexts.map((c) => c.name).join(', ') || 'none'})`,
          );
        }
        cfg.currentContext = name;
        await saveConfig(file, cfg);
        ctx.io.stdout(`Switched to context "${name}".\n`);
        return ExitCode.Ok;
      }),
    );
  withExamples(use, [['switch to the lab', 'swarmop config use-context lab']]);

  const set = config
    .command('set-context')
    .description('create a context or change some of its fields (an empty value removes a field; --prefix sets its prefix)')
    .argument('[name]', 'context name (or --current)')
    .option('--current', 'change the current context');
  // --prefix is the global flag (it is parsed wherever it stands), so set-context reads it from there.
  for (const [key, flag, env] of SET_FLAGS)
    if (key !== 'prefix') set.option(`--${flag} <value>`, key === 'sslVerify' ? `true or false, like ${env}` : `like ${env}`);
  set.action(
    action(ctx, async (nameArg: string | undefined, opts: Record<string, string | undefined> & { current?: boolean }) => {
      const file = fileOf(ctx);
      const cfg = loadConfig(file);
      if ((nameArg === undefined) === (opts.current === undefined))
        throw new SwarmopError('Invalid', 'give a context NAME or --current, not both');
      if (opts.current && cfg.currentContext === undefined) throw new SwarmopError('NotFound', `--current: no current context in ${file}`);
      const name = nameArg ?? cfg.currentContext!;
      const existing = cfg.contexts.find((c) => c.name === name);
      const next: Record<string, unknown> = { ...(existing ?? { name }) };
      const { current: _current, ...fields } = opts;
      const given: Record<string, string | undefined> = { ...fields, prefix: ctx.flags().prefix };
      for (const [key] of SET_FLAGS) {
        const v = given[key];
        if (v === undefined) continue;
        if (v === '') delete next[key];
        else if (key === 'sslVerify') {
          const b = parseBool(v);
          if (b === undefined) throw new SwarmopError('Invalid', `--ssl-verify must be true or false, got "${v}"`);
          next[key] = b;
        } else if ((PATH_KEYS as readonly string[]).includes(key)) {
          // Stored absolute (as kubectl config does), so the context works from any folder.
          next[key] = resolveUserPath(v, ctx.io.cwd, ctx.io.env.HOME || undefined);
        } else next[key] = v;
      }
      const checked: NamedContext = checkContext(next, file, `context "${name}"`);
      cfg.contexts = existing ? cfg.contexts.map((c) => (c.name === name ? checked : c)) : [...cfg.contexts, checked];
      await saveConfig(file, cfg);
      ctx.io.stdout(`Context "${name}" ${existing ? 'modified' : 'created'}.\n`);
      return ExitCode.Ok;
    }),
  );
  withExamples(set, [
    [
      'a TLS fleet',
      'swarmop config set-context prod --address https://10.0.0.5:8501 --ca-file /etc/consul/ca.pem --token-file /etc/swarmop/token',
    ],
    ['change only the prefix', 'swarmop config set-context prod --prefix team-a/'],
    ['change the current context', 'swarmop config set-context --current --token-file ~/.token'],
  ]);

  const del = config
    .command('delete-context')
    .description('remove a context')
    .argument('<name>', 'context name')
    .action(
      action(ctx, async (name: string) => {
        const file = fileOf(ctx);
        const cfg = loadConfig(file);
        if (!cfg.contexts.some((c) => c.name === name)) throw new SwarmopError('NotFound', `no context "${name}" in ${file}`);
        cfg.contexts = cfg.contexts.filter((c) => c.name !== name);
        if (cfg.currentContext === name) delete cfg.currentContext;
        await saveConfig(file, cfg);
        ctx.io.stdout(`Deleted context "${name}".\n`);
        return ExitCode.Ok;
      }),
    );
  withExamples(del, [['forget a fleet', 'swarmop config delete-context old']]);

  const view = config
    .command('view')
    .description('print the settings the next command would use (token hidden) and where each comes from')
    .action(
      action(ctx, async () => {
        const g = ctx.globals();
        const lines = [`configFile: ${fileOf(ctx)}`, `context: ${g.contextName ?? '<none>'}`];
        for (const [key] of SETTING_ENV) {
          const v = g.settings[key];
          if (v === undefined) continue;
          lines.push(`${key}: ${key === 'token' ? '<hidden>' : String(v)}`);
        }
        ctx.io.stdout(`${lines.join('\n')}\n`);
        return ExitCode.Ok;
      }),
    );
  withExamples(view, [['what --context prod resolves to', 'swarmop --context prod config view']]);
}
