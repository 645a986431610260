import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINE_MESSAGE_MAX_BYTES, engineMessage, engineText } from './engine-message.js';

test('control characters, newlines and bidi overrides become spaces; ordinary text is kept', () => {
  assert.equal(engineText('no such container: abc'), 'no such container: abc');
  assert.equal(engineText('a\u001b[2Jb\r\nc\td\u0000e\u007ff\u0085g\u202eh\u2066i'), 'a [2Jb  c d e f g h i');
  assert.equal(engineText('\n  padded \t'), 'padded');
});

test('text is cut to 512 bytes of UTF-8 on a character boundary, ending in an ellipsis', () => {
  const long = engineText('x'.repeat(100_000));
  assert.equal(Buffer.byteLength(long), ENGINE_MESSAGE_MAX_BYTES);
  assert.ok(long.endsWith('…'));
  const wide = engineText('é'.repeat(1000)); // 2 bytes each
  assert.ok(Buffer.byteLength(wide) <= ENGINE_MESSAGE_MAX_BYTES);
  assert.ok(!wide.includes('\ufffd'), 'no half characters');
  assert.equal(engineText('y'.repeat(512)), 'y'.repeat(512), 'exactly the limit is not cut');
  assert.equal(engineText('abcdef', 4), 'a…');
});

test("an engine error gives the engine's json.message; a non-JSON body in the message is cut and cleaned", () => {
  assert.equal(
    engineMessage({ statusCode: 404, json: { message: 'No such image: x' }, message: '(HTTP code 404) no such image - No such image: x ' }),
    'No such image: x',
  );
  const page = `<html>\n<body>${'internal secret '.repeat(500)}</body></html>`;
  const reflected = engineMessage({ statusCode: 500, json: page, message: `(HTTP code 500) server error - ${page} ` });
  assert.ok(Buffer.byteLength(reflected) <= ENGINE_MESSAGE_MAX_BYTES);
  assert.match(reflected, /^<html> <body>internal secret/);
  assert.equal(engineMessage(new Error('connect ECONNREFUSED 10.0.0.1:2375')), 'connect ECONNREFUSED 10.0.0.1:2375');
  assert.equal(engineMessage('plain\nstring'), 'plain string');
  assert.equal(engineMessage(undefined), 'undefined');
  assert.equal(engineMessage({ json: null, message: 'm' }), 'm');
});
