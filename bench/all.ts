/**
 * `npm run bench`: runs every benchmark of the project, one after the other, and writes
 * BENCHMARKS.md with each benchmark's own figures (each printed next to its target or anchor,
 * measured in the same run) and the command that produced them.
 *
 * usage: npm run bench [-- [--keep] NAME...]     (names: apply runtime ui staticip drift dockerhost consul swarm failover)
 * --keep: run only the NAMEs and take every other benchmark's section, as it stands, from the
 * existing BENCHMARKS.md (its header then says which ran when).
 * Figures a benchmark reports with `@figure` lines (bench/figures.ts) also go into a summary table
 * at the top, which bench/readme-figures.ts copies into docs/status.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { figuresTable, parseFigures, TABLE_BEGIN, TABLE_END } from './figures.js';
import { copyFiguresToReadme } from './readme-figures.js';

const ROOT = join(import.meta.dirname, '..');

interface Bench {
  name: string;
  title: string;
  /** Needs the lab (hack/lab.sh up) running. */
  lab: boolean;
}

const BENCHES: Bench[] = [
  { name: 'apply', title: 'Apply throughput', lab: false },
  { name: 'runtime', title: 'Runtime at 10,000 documents', lab: false },
  { name: 'ui', title: 'Status page first paint with 10,000 objects', lab: false },
  { name: 'staticip', title: 'StaticIPAttachment repair latency', lab: true },
  { name: 'drift', title: 'StaticIPAttachment drift repairs through the operator process', lab: true },
  { name: 'dockerhost', title: 'DockerHost Ready flip through the operator process', lab: false },
  { name: 'consul', title: 'ConsulCluster repair times', lab: true },
  { name: 'swarm', title: 'SwarmCluster repair times', lab: true },
  { name: 'failover', title: 'Operator leader failover', lab: false },
];

interface Result {
  bench: Bench;
  command: string;
  code: number | null;
  seconds: number;
  output: string;
  /** Set when the section was kept from an earlier BENCHMARKS.md: its line saying so. */
  kept?: string;
}

/** A benchmark's section of an earlier BENCHMARKS.md, unchanged (undefined when it has none). */
function keptSection(text: string, b: Bench, date: string): Result | undefined {
  // Sections written before a title was reworded may still carry an old "(issue N)" suffix.
  const head = new RegExp(`^## ${b.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( \\(issue \\d+\\))?\n`, 'm').exec(text);
  if (!head) return undefined;
  const rest = text.slice(head.index + head[0].length);
  const command = /^Command: `([^`]+)` — (ok|exit (\S+)), (\d+) s( \(.*\))?$/m.exec(rest);
  const open = rest.indexOf('```text\n');
  const close = rest.indexOf('\n```', open + 8);
  if (!command || open < 0 || close < 0) return undefined;
  const code = command[2] === 'ok' ? 0 : Number(command[3]);
  return {
    bench: b,
    command: command[1]!,
    code: Number.isNaN(code) ? null : code,
    seconds: Number(command[4]),
    output: rest.slice(open + 8, close),
    kept: command[5]?.trim() || `(kept from the run of ${date})`,
  };
}

function runBench(b: Bench): Promise<Result> {
  const command = `npm run bench:${b.name}`;
  const began = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', `${b.name}.ts`)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const take = (chunk: Buffer) => {
      process.stdout.write(chunk);
      output += chunk.toString('utf8');
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code) => resolve({ bench: b, command, code, seconds: (Date.now() - began) / 1000, output }));
  });
}

function ensureLab(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, 'hack', 'lab.sh'), ['up'], { cwd: ROOT, stdio: 'inherit' });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`hack/lab.sh up exited ${code}`))));
  });
}

async function main(): Promise<number> {
  const keep = process.argv.includes('--keep');
  const wanted = process.argv.slice(2).filter((a) => a !== '--keep');
  // `--keep` alone runs nothing: it rebuilds the summary (and docs/status.md's table) from the sections.
  const benches = wanted.length ? BENCHES.filter((b) => wanted.includes(b.name)) : keep ? [] : BENCHES;
  const earlierPath = join(ROOT, 'BENCHMARKS.md');
  const earlier = keep && existsSync(earlierPath) ? readFileSync(earlierPath, 'utf8') : undefined;
  if (keep && !earlier) {
    console.error('--keep needs an existing BENCHMARKS.md');
    return 2;
  }
  const earlierDate = earlier ? (/Date: (\S+)\.$/m.exec(earlier)?.[1] ?? 'an earlier run') : undefined;
  if (wanted.length && benches.length !== wanted.length) {
    console.error(`unknown benchmark; known: ${BENCHES.map((b) => b.name).join(' ')}`);
    return 2;
  }
  if (benches.some((b) => b.lab)) await ensureLab();
  // The lab benchmarks run the operator as users do (bin/swarmop.js runs the compiled build).
  await new Promise<void>((resolve, reject) => {
    const child = spawn('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build exited ${code}`))));
  });
  const results: Result[] = [];
  for (const b of BENCHES) {
    if (benches.includes(b)) {
      console.log(`\n=== ${b.title}: npm run bench:${b.name}`);
      results.push(await runBench(b));
    } else if (earlier) {
      const k = keptSection(earlier, b, earlierDate ?? 'an earlier run');
      if (k) results.push(k);
    }
  }
  const when = new Date().toISOString();
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${when}: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB,`,
    `Node ${process.version}. Every figure below is printed by its benchmark next to its target and, where one`,
    'is runnable, its anchor (the same job done without swarmop or by hand) measured in the same run.',
    'Re-run one with the command shown; run all with `npm run bench`.',
    '',
    `Machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory. Date: ${when}.`,
    ...(earlier && benches.length
      ? [
          '',
          `Re-run on ${when}: ${benches.map((b) => b.name).join(', ')}. The other sections are kept from the run of ${earlierDate}, as marked.`,
        ]
      : []),
    ...(earlier && !benches.length ? ['', `Rebuilt on ${when} from the sections below, each marked with the run it came from.`] : []),
    '',
    '## Summary',
    '',
    TABLE_BEGIN,
    figuresTable(results.flatMap((r) => parseFigures(r.output).map((f) => ({ ...f, command: r.command })))),
    TABLE_END,
    '',
  ];
  for (const r of results) {
    lines.push(
      `## ${r.bench.title}`,
      '',
      `Command: \`${r.command}\` — ${r.code === 0 ? 'ok' : `exit ${r.code}`}, ${r.seconds.toFixed(0)} s${r.kept ? ` ${r.kept}` : ''}`,
      '',
      '```text',
      r.output.trimEnd(),
      '```',
      '',
    );
  }
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), `${lines.join('\n')}\n`);
  copyFiguresToReadme(ROOT);
  const ran = results.filter((r) => !r.kept);
  console.log(
    `\nwrote BENCHMARKS.md (${ran.filter((r) => r.code === 0).length}/${ran.length} benchmarks ok${earlier ? `, ${results.length - ran.length} kept` : ''})`,
  );
  return ran.every((r) => r.code === 0) ? 0 : 1;
}

process.exitCode = await main();
