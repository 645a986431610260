/** Examples for the commands whose modules do not add their own (added to --help by main). */
import type { Example } from './examples.js';

export const COMMAND_EXAMPLES: Readonly<Record<string, readonly Example[]>> = {
  apply: [
    ['apply a folder of manifests', 'swarmop apply -f manifests/ -R'],
    ['from standard input', 'cat sia.yaml | swarmop apply -f -'],
    ['check manifests with no Consul reachable (schema and cross-document checks)', 'swarmop apply -f manifests/ --dry-run=client'],
    ['every check of a real apply, nothing written', 'swarmop apply -f manifests/ --dry-run=server'],
    ['keep a folder applied while you edit it', 'swarmop apply -f manifests/ --watch --prune'],
    [
      'a CI job: apply a folder, delete what was removed from it',
      'swarmop apply -f manifests/ --prune --applyset fleet --field-manager ci',
    ],
    ['what the last apply recorded for one object', 'swarmop apply view-last-applied sia/ubuntu114'],
  ],
  diff: [
    ['what apply would change (exit 0 same, 1 different, >1 error)', 'swarmop diff -f manifests/'],
    ['including what a prune would delete', 'swarmop diff -f manifests/ --prune --applyset fleet'],
    ['in a script', 'swarmop diff -f sia.yaml >/dev/null; [ $? -gt 1 ] && echo "diff failed"'],
  ],
  explain: [
    ['a kind', 'swarmop explain sia'],
    ['one field', 'swarmop explain sia.spec.address'],
  ],
  wait: [
    ['until an attachment is Ready', 'swarmop wait sia/ubuntu114 --for=condition=Ready --timeout=60s'],
    ['until it is gone', 'swarmop wait sia/ubuntu114 --for=delete'],
  ],
  events: [
    ['everything the controllers did', 'swarmop events'],
    ['one object, following new events', 'swarmop events sia ubuntu114 -w'],
  ],
  operator: [
    ['run the controllers with leader election and controller-runtime log keys', 'swarmop operator --leader-elect --log-format json'],
    [
      'serve metrics on every interface, behind a token (Authorization: Bearer)',
      'SWARMOP_METRICS_TOKEN=$(openssl rand -hex 16) swarmop operator --metrics-addr :9464',
    ],
    ['run another network helper image (any image with ip, nsenter, sh, cat, sleep)', 'swarmop operator --helper-image acme/nethelper:1'],
  ],
  ui: [
    ['the status page URL of an operator on this machine', 'swarmop ui'],
    ['and check that it answers (exit 5 when nothing does)', 'swarmop ui --check'],
    ['an operator serving the page on its own address', 'swarmop ui --ui-addr 127.0.0.1:9465'],
  ],
  version: [['print the version', 'swarmop version']],
};
