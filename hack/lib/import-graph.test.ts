import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importCycles, importsOf, layerViolations, type ImportEdge } from './import-graph.js';

test('importsOf finds static, re-export, dynamic and type-only imports, resolved to .ts paths with their lines', () => {
  const edges = importsOf(
    'src/cli/commands/apply.ts',
    [
      "import { a } from '../x.js';",
      "import type { B } from '../../store/kv.js';",
      "import { type C, type D } from './y.js';",
      "export { e } from './z.js';",
      "import { readFile } from 'node:fs/promises';",
      "const m = await import('../watch/apply-watch.js');",
      "let t: import('../../crds/meta.js').Resource;",
    ].join('\n'),
  );
  assert.deepEqual(
    edges.map((e) => [e.to, e.line, e.typeOnly]),
    [
      ['src/cli/x.ts', 1, false],
      ['src/store/kv.ts', 2, true],
      ['src/cli/commands/y.ts', 3, true],
      ['src/cli/commands/z.ts', 4, false],
      ['src/cli/watch/apply-watch.ts', 6, false],
      ['src/crds/meta.ts', 7, true],
    ],
  );
});

const edge = (from: string, to: string, typeOnly = false): ImportEdge => ({ from, to, line: 1, specifier: to, typeOnly });

test('layer rules: runtime may not reach the store, crds, controllers or operator; product code may not reach test support', () => {
  const found = layerViolations([
    edge('src/runtime/watcher.ts', 'src/store/kv.ts', true),
    edge('src/runtime/queue.ts', 'src/runtime/clock.ts'),
    edge('src/runtime/queue.test.ts', 'src/store/kv.ts'),
    edge('src/runtime/x.ts', 'src/crds/meta.ts'),
    edge('src/operator/operator.ts', 'src/store/kv.ts'),
    edge('src/cli/main.ts', 'testing/wait-until.ts'),
    edge('src/cli/main.test.ts', 'testing/capture-io.ts'),
    edge('src/ui/page.ts', 'bench/figures.ts'),
    edge('src/cli/apply.ts', 'hack/lib/test-lint.ts'),
  ]);
  assert.deepEqual(
    found.map((v) => `${v.edge.from} -> ${v.edge.to}`),
    [
      'src/runtime/watcher.ts -> src/store/kv.ts',
      'src/runtime/x.ts -> src/crds/meta.ts',
      'src/cli/main.ts -> testing/wait-until.ts',
      'src/ui/page.ts -> bench/figures.ts',
      'src/cli/apply.ts -> hack/lib/test-lint.ts',
    ],
  );
});

test('layer rules: a kind folder may not import another kind folder, tests included; files beside the kinds may import any', () => {
  const found = layerViolations([
    edge('src/controllers/consulcluster/reconciler.ts', 'src/controllers/staticipattachment/service/agent.ts'),
    edge('src/controllers/consulcluster/x.test.ts', 'src/controllers/swarmcluster/plan.ts'),
    edge('src/controllers/staticipattachment/service/step.ts', 'src/controllers/consulcluster/model.ts', true),
    edge('src/controllers/staticipattachment/service/step.ts', 'src/controllers/staticipattachment/status.ts'),
    edge('src/controllers/dockerhost/reconciler.ts', 'src/controllers/kind-reconciler.ts'),
    edge('src/controllers/kind-indexes.ts', 'src/controllers/staticipattachment/conflicts.ts'),
    edge('src/controllers/index.ts', 'src/controllers/dockerhost/index.ts'),
    edge('src/controllers/dockerhost/reconciler.ts', 'src/nethelper/helper-image.ts'),
    // ServiceAddresses may use StaticIPAttachment's index.ts and nothing else of it; no other kind may.
    edge('src/controllers/serviceaddresses/index.ts', 'src/controllers/staticipattachment/index.ts'),
    edge('src/controllers/serviceaddresses/execute.ts', 'src/controllers/staticipattachment/plan.ts'),
    edge('src/controllers/serviceaddresses/manager.ts', 'src/controllers/swarmcluster/index.ts'),
    edge('src/controllers/dockerhost/reconciler.ts', 'src/controllers/staticipattachment/index.ts'),
  ]);
  assert.deepEqual(
    found.map((v) => `${v.edge.from} -> ${v.edge.to}`),
    [
      'src/controllers/consulcluster/reconciler.ts -> src/controllers/staticipattachment/service/agent.ts',
      'src/controllers/consulcluster/x.test.ts -> src/controllers/swarmcluster/plan.ts',
      'src/controllers/staticipattachment/service/step.ts -> src/controllers/consulcluster/model.ts',
      'src/controllers/serviceaddresses/execute.ts -> src/controllers/staticipattachment/plan.ts',
      'src/controllers/serviceaddresses/manager.ts -> src/controllers/swarmcluster/index.ts',
      'src/controllers/dockerhost/reconciler.ts -> src/controllers/staticipattachment/index.ts',
    ],
  );
});

test('layer rules: src/ui and src/operator may not import src/cli; the shared homes may not import controllers, operator, cli or ui', () => {
  const found = layerViolations([
    edge('src/ui/view-model.ts', 'src/cli/output/age.ts'),
    edge('src/operator/operator.test.ts', 'src/cli/main.ts'),
    edge('src/ui/view-model.ts', 'src/format/age.ts'),
    edge('src/cli/output/table.ts', 'src/format/age.ts'),
    edge('src/cli/operator/run-operator.ts', 'src/operator/operator.ts'),
    edge('src/nethelper/net-helper.ts', 'src/controllers/kind-reconciler.ts', true),
    edge('src/consul/agent-http.ts', 'src/controllers/consulcluster/model.ts'),
    edge('src/format/age.ts', 'src/cli/output/table.ts'),
    edge('src/nethelper/ip-batch.test.ts', 'src/controllers/staticipattachment/execute.ts'),
    edge('src/nethelper/net-helper.ts', 'src/docker/exec.ts'),
  ]);
  assert.deepEqual(
    found.map((v) => `${v.edge.from} -> ${v.edge.to}`),
    [
      'src/ui/view-model.ts -> src/cli/output/age.ts',
      'src/operator/operator.test.ts -> src/cli/main.ts',
      'src/nethelper/net-helper.ts -> src/controllers/kind-reconciler.ts',
      'src/consul/agent-http.ts -> src/controllers/consulcluster/model.ts',
      'src/format/age.ts -> src/cli/output/table.ts',
    ],
  );
});

test('importCycles reports each cycle once as a closed path, ignoring type-only edges', () => {
  const cycles = importCycles([
    edge('src/cli/watch/apply-watch.ts', 'src/cli/commands/apply.ts'),
    edge('src/cli/commands/apply.ts', 'src/cli/watch/apply-watch.ts'),
    edge('a.ts', 'b.ts'),
    edge('b.ts', 'c.ts'),
    edge('c.ts', 'a.ts'),
    edge('c.ts', 'd.ts'),
    edge('self.ts', 'self.ts'),
    edge('t1.ts', 't2.ts'),
    edge('t2.ts', 't1.ts', true),
  ]);
  assert.deepEqual(cycles, [
    ['a.ts', 'b.ts', 'c.ts', 'a.ts'],
    ['self.ts', 'self.ts'],
    ['src/cli/commands/apply.ts', 'src/cli/watch/apply-watch.ts', 'src/cli/commands/apply.ts'],
  ]);
});
