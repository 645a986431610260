import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindsOf, parseResourceArgs } from './resource-args.js';
import { changeMap, splitChanges } from '../commands/label.js';

const show = (args: string[]) => {
  const a = parseResourceArgs(args);
  return a.type === 'kinds' ? { kinds: a.kinds.map((k) => k.kind) } : { refs: a.refs.map((r) => `${r.kind.kind}/${r.name}`) };
};

test('resource arguments read as kubectl reads them', () => {
  assert.deepEqual(show(['sia']), { kinds: ['StaticIPAttachment'] });
  assert.deepEqual(show(['dh,sia']), { kinds: ['DockerHost', 'StaticIPAttachment'] });
  assert.deepEqual(show(['all']), { kinds: ['DockerHost', 'ConsulCluster', 'SwarmCluster', 'StaticIPAttachment', 'ServiceAddresses'] });
  assert.deepEqual(show(['sia', 'a', 'b']), { refs: ['StaticIPAttachment/a', 'StaticIPAttachment/b'] });
  assert.deepEqual(show(['sia/a', 'dockerhost/h']), { refs: ['StaticIPAttachment/a', 'DockerHost/h'] });
  assert.deepEqual(
    kindsOf(parseResourceArgs(['sia/a', 'dh/h', 'sia/b'])).map((k) => k.kind),
    ['StaticIPAttachment', 'DockerHost'],
  );
  assert.throws(() => parseResourceArgs(['sia/a', 'b']), /every argument must be KIND\/NAME/);
  assert.throws(() => parseResourceArgs(['dh,sia', 'a']), /names need exactly one resource type/);
  assert.throws(() => parseResourceArgs(['sia', 'dh/a']), /not both/);
  assert.throws(() => parseResourceArgs(['pods']), /unknown resource type "pods"/);
  assert.throws(() => parseResourceArgs(['dh,']), /empty resource type/);
  for (const ev of ['events', 'event', 'ev']) {
    assert.throws(
      () => parseResourceArgs([ev]),
      (e: Error) => e.message === 'events are not a resource type here: use swarmop events [KIND [NAME]] (-w to follow)',
    );
  }
});

test('label changes: resources first, then key=value and key-; --overwrite guards existing values', () => {
  assert.deepEqual(splitChanges(['dh', 'h1', 'a=1', 'b-']), {
    resources: ['dh', 'h1'],
    changes: [
      { key: 'a', op: 'set', value: '1' },
      { key: 'b', op: 'remove' },
    ],
  });
  assert.throws(() => splitChanges(['dh', 'h1']), /at least one change/);
  assert.throws(() => splitChanges(['dh', 'a=1', 'a-']), /changed twice/);
  assert.throws(() => splitChanges(['dh', 'a=1', 'h1']), /neither key=value nor key-/);
  assert.deepEqual(changeMap({ a: '1' }, [{ key: 'a', op: 'set', value: '1' }], false, 'labels'), { a: '1' });
  assert.throws(
    () => changeMap({ a: '1' }, [{ key: 'a', op: 'set', value: '2' }], false, 'labels'),
    /'a' already has a value \(1\), and --overwrite is false/,
  );
  assert.deepEqual(
    changeMap(
      { a: '1' },
      [
        { key: 'a', op: 'set', value: '2' },
        { key: 'z', op: 'remove' },
      ],
      true,
      'labels',
    ),
    { a: '2' },
  );
});
