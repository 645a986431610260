import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from './analysis.js';
import { plan } from './plan.js';
import { UNANSWERED_JOIN_WINDOW_MS, joinLandedLate, type UnansweredJoin } from './unanswered-join.js';
import { NOW, fixtureDesired, healthyObservation, seenAs } from '../../../testing/lab/consul-fixtures.js';

const desired = fixtureDesired();
const C02 = '192.168.116.113';

/** The join the planner sends for consul02 while it shows failed, whose call then timed out. */
function timedOutJoin(sentAt: number): UnansweredJoin {
  const obs = healthyObservation(desired);
  seenAs(obs, 'consul02', 'failed', C02);
  const action = plan(analyze(desired, obs), undefined, NOW).step;
  assert.equal(action?.type, 'join');
  return { step: action as UnansweredJoin['step'], sentAt };
}

test('a join whose call timed out, with the member alive at the next look, is the repair that landed late', () => {
  const pending = timedOutJoin(NOW - 1200);
  const landed = joinLandedLate(pending, analyze(desired, healthyObservation(desired)), NOW);
  assert.deepEqual(landed, {
    reason: 'MemberRejoined',
    found: 'member consul02 is failed while its agent answers',
    action: `joined ${C02} from 192.168.116.111 (and from 192.168.116.112); the agent finished it after the call timed out`,
    host: 'consul02',
  });
});

test('still failed: nothing to report yet; too old: not credited to the join', () => {
  const pending = timedOutJoin(NOW - 1200);
  const still = healthyObservation(desired);
  seenAs(still, 'consul02', 'failed', C02);
  assert.equal(joinLandedLate(pending, analyze(desired, still), NOW), 'pending');
  const old = timedOutJoin(NOW - UNANSWERED_JOIN_WINDOW_MS - 1);
  assert.equal(joinLandedLate(old, analyze(desired, healthyObservation(desired)), NOW), 'expired');
});

test("a join sent from a member (the other half of a heal) is never credited by the member's status", () => {
  const pending = timedOutJoin(NOW - 1200);
  const fromMember = { ...pending, step: { ...pending.step, via: C02, target: '192.168.116.111' } };
  assert.equal(joinLandedLate(fromMember, analyze(desired, healthyObservation(desired)), NOW), 'expired');
});
