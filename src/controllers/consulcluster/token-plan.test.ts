import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wantedTokens } from './token-policies.js';
import { planTokens, type TokenRecord } from './token-plan.js';

const W = wantedTokens('c', 'dc1', ['s1'], []);
const policiesInPlace = new Map(W.policies.map((p, i) => [p.name, { id: `p${i}`, name: p.name, rules: p.rules }]));
const rec = (a: string): TokenRecord => ({ accessorID: a, secretID: `secret-${a}` });

test('an empty cluster: both policies, then every token made new', () => {
  const steps = planTokens(W, new Map(), { policies: new Map(), tokens: [] });
  assert.deepEqual(
    steps.map((s) => `${s.type} ${'policy' in s ? s.policy.name : s.token.key}`),
    [
      'createPolicy swarmop-operator-c',
      'createPolicy swarmop-discovery-c',
      'newToken operator',
      'newToken discovery',
      'newToken agents/s1',
    ],
  );
});

test('everything recorded and in Consul: nothing to do', () => {
  const records = new Map([
    ['operator', rec('a1')],
    ['discovery', rec('a2')],
    ['agents/s1', rec('a3')],
  ]);
  const tokens = ['a1', 'a2', 'a3'].map((accessorID) => ({ accessorID, description: 'whatever' }));
  assert.deepEqual(planTokens(W, records, { policies: policiesInPlace, tokens }), []);
});

test('stopped after the record was written: the recorded token is created, not a second one', () => {
  const records = new Map([['operator', rec('a1')]]);
  const tokens = [
    { accessorID: 'a2', description: W.tokens[1]!.description },
    { accessorID: 'a3', description: W.tokens[2]!.description },
  ];
  const steps = planTokens(W, records, { policies: policiesInPlace, tokens });
  assert.deepEqual(
    steps.map((s) => s.type),
    ['completeToken', 'adoptToken', 'adoptToken'],
  );
  assert.deepEqual(steps[0], { type: 'completeToken', token: W.tokens[0], record: records.get('operator') });
});

test('a token with the wanted description and no record is adopted by its accessor', () => {
  const tokens = [{ accessorID: 'old-op', description: W.tokens[0]!.description }];
  const steps = planTokens({ policies: [], tokens: [W.tokens[0]!] }, new Map(), { policies: new Map(), tokens });
  assert.deepEqual(steps, [{ type: 'adoptToken', token: W.tokens[0], accessorID: 'old-op' }]);
});

test('a policy whose rules were changed in Consul is set back; whitespace alone is no change', () => {
  const changed = new Map(policiesInPlace);
  changed.set('swarmop-operator-c', { id: 'p0', name: 'swarmop-operator-c', rules: 'acl = "write"' });
  changed.set('swarmop-discovery-c', { ...policiesInPlace.get('swarmop-discovery-c')!, rules: `\n${W.policies[1]!.rules}\n\n` });
  const steps = planTokens({ policies: W.policies, tokens: [] }, new Map(), { policies: changed, tokens: [] });
  assert.deepEqual(steps, [{ type: 'updatePolicy', id: 'p0', policy: W.policies[0] }]);
});
