/**
 * Every call to a Consul agent goes through agent-http.ts (call / agentRequest), which speaks HTTPS
 * with the cluster's client certificate when the cluster runs TLS. A controller that calls fetch()
 * itself builds an http:// URL and sends the cluster's token in clear; two did (the keyring and the
 * node identity). This scan keeps it from happening again.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const SRC = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

test('no controller or Consul module calls fetch() itself: agent calls go through agent-http.ts', () => {
  const offenders = [...sources(join(SRC, 'controllers')), ...sources(join(SRC, 'consul'))]
    .filter((f) => !f.endsWith(join('consul', 'agent-http.ts')))
    .flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, at: `${relative(SRC, f)}:${i + 1}` }))
        .filter(({ line }) => /(?<![\w.#])fetch\(/.test(line) && !/^\s*(\/\/|\*)/.test(line))
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    );
  assert.deepEqual(offenders, []);
});
