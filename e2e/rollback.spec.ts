/**
 * Revisions and rollback through the real CLI, reconciled by the real operator on the lab: ubuntu114
 * is applied three times (its address, then another, then a label only), `swarmop history` lists
 * exactly the revisions whose spec changed, and `swarmop rollback --to-revision 1` puts the first
 * address back on eth1 of the container (the old one gone), as a user undoing a bad apply would.
 */
import assert from 'node:assert/strict';
import { describeE2E, itE2E } from './framework/framework.js';
import { dockerOnHost, labManifest, labRoles } from './framework/lab.js';
import { eventually } from '../testing/util/wait-until.js';

const { A, lab } = labRoles();
/** An address in the lab's subnet that no other attachment declares. */
const OTHER = `${lab.netPrefix}.241`;
const OTHER_CIDR = `${OTHER}/${A.cidr.split('/')[1]}`;

const eth1 = async () => (await dockerOnHost(A.host, ['exec', A.name, 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth1'], 10_000)).stdout;

/** ubuntu114's document from the lab's manifests, with another address and optional labels. */
function attachment(cidr: string, labels = ''): string {
  const docs = labManifest('30-staticipattachments.yaml').split(/^---$/m);
  const mine = docs.find((d) => new RegExp(`^\\s*name: ${A.name}\\s*$`, 'm').test(d));
  assert.ok(mine, `${A.name} is in the lab's 30-staticipattachments.yaml`);
  let doc = mine.replace(A.cidr, cidr);
  if (labels) doc = doc.replace(/^metadata:\n/m, `metadata:\n  labels: {${labels}}\n`);
  return doc;
}

describeE2E('rollback', (f) => {
  itE2E(f, 'three applies, two spec revisions; rollback --to-revision 1 puts the first address back on the host', async () => {
    await f.apply(labManifest('00-dockerhosts.yaml'));
    await f.apply(attachment(A.cidr));
    await f.waitCondition('staticipattachment', A.name, 'True');
    await f.apply(attachment(OTHER_CIDR));
    await f.waitCondition('staticipattachment', A.name, 'True');
    await eventually(`${A.name} has ${OTHER_CIDR}`, async () => (await eth1()).includes(` ${OTHER_CIDR} `), { timeoutMs: 30_000 });
    // A label only: a new generation of the metadata, not of the spec, so no new revision.
    await f.apply(attachment(OTHER_CIDR, 'team: e2e'));

    const history = await f.swarmop(['history', `staticipattachment/${A.name}`]);
    assert.equal(history.code, 0, history.stderr);
    // A title line (KIND/NAME), the header, then one row per revision.
    const rows = history.stdout.trim().split('\n').slice(2);
    assert.deepEqual(
      rows.map((r) => r.trim().split(/\s+/)[0]),
      ['1', '2'],
      history.stdout,
    );

    const back = await f.swarmop(['rollback', `staticipattachment/${A.name}`, '--to-revision', '1']);
    assert.equal(back.code, 0, back.stderr);
    const got = await f.get('staticipattachment', A.name);
    assert.equal(got?.spec.address, A.cidr);
    assert.equal(got?.metadata.labels?.team, 'e2e', 'a rollback restores the spec, not the labels');
    await eventually(
      `${A.name} back on ${A.cidr} only`,
      async () => {
        const now = await eth1();
        return now.includes(` ${A.cidr} `) && !now.includes(` ${OTHER_CIDR} `);
      },
      { timeoutMs: 30_000 },
    );
    await f.waitCondition('staticipattachment', A.name, 'True');
    const after = await f.swarmop(['history', `staticipattachment/${A.name}`]);
    assert.equal(after.stdout.trim().split('\n').length - 2, 3, `the rollback is a revision of its own:\n${after.stdout}`);
  });
});
