import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, escapeHtml, html, layout, SafeHtml, text } from './html.ts';

const XSS = '<script>alert("x")</script>';

describe('escapeHtml', () => {
  it('escapes every character that can open a tag, an entity or leave an attribute value', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;\`</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&#96;&lt;/a&gt;');
  });

  it('leaves other text, including non-ASCII, as it is', () => {
    expect(escapeHtml('ünïcødé 名前 🎉 = 100%; a/b')).toBe('ünïcødé 名前 🎉 = 100%; a/b');
  });
});

describe('html', () => {
  it('escapes interpolated strings, in text and in attribute values', () => {
    const name = `"><img src=x onerror=alert(1)>${XSS}`;
    const out = html`<p title="${name}">${name}</p>`.value;
    expect(out).not.toContain('<script>');
    expect(out).not.toContain('<img');
    expect(out).not.toMatch(/title="[^"]*"[^>]/); // the attribute value is not closed early
    expect(out).toBe(`<p title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>`);
  });

  it('keeps the markup of nested html fragments and escapes the values inside them', () => {
    const rows = ['<b>', 'ok'].map((v) => html`<li>${v}</li>`);
    expect(html`<ul>${rows}</ul>`.value).toBe('<ul><li>&lt;b&gt;</li><li>ok</li></ul>');
  });

  it('renders numbers and true as text, and null, undefined and false as nothing', () => {
    expect(html`[${0}|${42.5}|${true}|${null}|${undefined}|${false}]`.value).toBe('[0|42.5|true|||]');
  });

  it('escapes a string that merely looks like a fragment; only SafeHtml passes through', () => {
    const lookalike = { value: XSS, toString: () => XSS } as unknown as string;
    expect(html`${lookalike}`.value).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html`${new SafeHtml('<hr>')}`.value).toBe('<hr>');
  });

  it('does not double-escape when a fragment is interpolated into another', () => {
    const inner = html`<i>${'a & b'}</i>`;
    expect(html`<p>${inner}</p>`.value).toBe('<p><i>a &amp; b</i></p>');
  });
});

describe('text', () => {
  it('strips terminal escapes and control characters from candidate output, keeping newlines and tabs', () => {
    expect(text('\u001b[31mred\u001b[0m\tok\nline\u0007\u001b]0;title\u0007end')).toBe('red\tok\nlineend');
  });

  it('reads null and undefined as empty', () => {
    expect(text(null)).toBe('');
    expect(text(undefined)).toBe('');
  });

  it('is still escaped by html afterwards', () => {
    expect(html`<pre>${text(`\u001b[1m${XSS}`)}</pre>`.value).toBe('<pre>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</pre>');
  });
});

describe('layout', () => {
  it('escapes the title and the user, and puts the nonce on the style tag', () => {
    const page = layout({ title: XSS, nonce: 'n0nce', user: { name: '<u>Eve</u>', role: 'admin', csrf: '"csrf' } }, html`<p>body</p>`).value;
    expect(page).not.toContain(XSS);
    expect(page).toContain('<title>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; · Assay</title>');
    expect(page).toContain('&lt;u&gt;Eve&lt;/u&gt; (admin)');
    expect(page).toContain('value="&quot;csrf"');
    expect(page).toContain('<style nonce="n0nce">');
    expect(page).toContain('<main><p>body</p></main>');
  });
});

describe('contentSecurityPolicy', () => {
  it('allows nothing by default and scripts and styles only with the nonce', () => {
    const csp = contentSecurityPolicy('abc');
    expect(csp).toMatch(/^default-src 'none';/);
    expect(csp).toContain("script-src 'nonce-abc'");
    expect(csp).toContain("style-src 'nonce-abc'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('lets a page fetch from its own origin only when asked (the candidate page shell)', () => {
    expect(contentSecurityPolicy('abc')).not.toContain('connect-src');
    const csp = contentSecurityPolicy('abc', { connect: true });
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toMatch(/^default-src 'none';/);
  });
});
