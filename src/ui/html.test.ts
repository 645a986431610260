import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, html, trusted } from './html.js';

describe('html', () => {
  it('escapes the five markup characters', () => {
    assert.equal(escapeHtml(`<img src=x onerror="alert('1')">&`), '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;');
  });

  it('escapes interpolated values, nested arrays included, and keeps literal markup', () => {
    const evil = '<script>x()</script>';
    const out = html`<td title="${evil}">${[evil, html`<b>${evil}</b>`]}</td>`.value;
    assert.equal(
      out,
      '<td title="&lt;script&gt;x()&lt;/script&gt;">&lt;script&gt;x()&lt;/script&gt;<b>&lt;script&gt;x()&lt;/script&gt;</b></td>',
    );
  });

  it('renders null, undefined and false as nothing, numbers as text, trusted markup as is', () => {
    assert.equal(html`${null}${undefined}${false}${0}${trusted('<svg/>')}`.value, '0<svg/>');
  });
});
