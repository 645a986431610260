import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statusPageUrl } from './page-url.js';

describe('statusPageUrl', () => {
  it('opens a loopback or named bind as given and an all-interfaces bind on loopback', () => {
    assert.equal(statusPageUrl('127.0.0.1:9464'), 'http://127.0.0.1:9464/ui/');
    assert.equal(statusPageUrl(':8080'), 'http://127.0.0.1:8080/ui/');
    assert.equal(statusPageUrl('0.0.0.0:8080'), 'http://127.0.0.1:8080/ui/');
    assert.equal(statusPageUrl('[::]:8080'), 'http://[::1]:8080/ui/');
    assert.equal(statusPageUrl('[::1]:8080'), 'http://[::1]:8080/ui/');
    assert.equal(statusPageUrl('ops.example:80'), 'http://ops.example:80/ui/');
  });

  it('refuses an address without a port, naming it', () => {
    assert.throws(() => statusPageUrl('localhost'), /invalid listen address "localhost"/);
  });
});
