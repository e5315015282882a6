import { describe, expect, it } from 'vitest';
import { parsedUrlProblem, publicUrlProblem, redactUrl } from '../../functions/core/public-url.js';

describe('publicUrlProblem', () => {
  it.each([
    'https://bilder.example.se/1.jpg',
    'http://93.184.216.34/a.jpg',
    'https://100.63.255.255/x',
    'https://100.128.0.1/x',
    'https://172.15.255.255/x',
    'https://172.32.0.1/x',
    'https://192.0.1.1/x',
    'https://198.17.255.255/x',
    'https://198.20.0.1/x',
    'https://223.255.255.255/x',
    'https://[2001:4860:4860::8888]/x',
  ])('accepts the public URL %s', (url) => {
    expect(publicUrlProblem(url)).toBeNull();
  });

  it.each([
    'http://0.0.0.0/x',
    'http://10.1.2.3/x',
    'http://100.64.0.1/x',
    'http://100.127.255.255/x',
    'http://127.0.0.1/x',
    'http://169.254.169.254/latest/meta-data',
    'http://0xA9FEA9FE/x',
    'http://172.16.0.1/x',
    'http://172.31.255.255/x',
    'http://192.0.0.8/x',
    'http://192.168.1.1/x',
    'http://198.18.0.1/x',
    'http://198.19.255.255/x',
    'http://224.0.0.1/x',
    'http://255.255.255.255/x',
    'http://[::1]/x',
    'http://[::ffff:169.254.169.254]/x',
    'http://[fe80::1]/x',
    'http://[fc00::1]/x',
  ])('refuses the private, local or reserved address in %s', (url) => {
    expect(publicUrlProblem(url)).toMatch(/public host/);
  });

  it.each(['http://localhost/x', 'http://db.internal/x', 'http://printer/x'])('refuses the local name in %s', (url) => {
    expect(publicUrlProblem(url)).toBe('must point to a public host name');
  });

  it('refuses credentials, other schemes and non-URLs', () => {
    expect(publicUrlProblem('https://user:pass@example.se/x')).toBe('must not carry a user name or password');
    expect(publicUrlProblem('ftp://example.se/x')).toBe('must be an http(s) URL');
    expect(publicUrlProblem('not a url')).toBe('must be an http(s) URL');
  });
});

describe('redactUrl', () => {
  it('replaces user and password', () => {
    expect(redactUrl('https://user:secret@example.se/x')).toBe('https://***@example.se/x');
  });
});

describe('publicUrlProblem on plainly written URLs (read without the URL parser)', () => {
  it.each([
    'https://bilder.example.se/1.jpg',
    'HTTPS://Bilder.Example.SE/1.jpg',
    'http://example.com?x=1',
    'https://a.b#frag',
    'https://cdn.example.com',
    'https://-a-.example.com/x',
    'https://a--b.example.com/x',
    'https://example.com./x',
    'https://a..example.com/x',
    'https://.example.com/x',
    'https://xn--bcher-kva.example/x',
    'https://xn--abc.com/x',
    'https://XN--abc.com/x',
    'https://example.0x1f/x',
    'https://example.1b/x',
    'https://1.2.3.4/x',
    'https://10.0.0.1/x',
    'https://localhost/x',
    'https://bilder.localhost/x',
    'https://printer/x',
    'https://db.internal/x',
    'https://a_b.example.com/x',
    'https://example.com:8443/x',
    'https://user@example.com/x',
    'https://example.com\\x',
    'https://example.com/\tx',
    'https://ex\tample.com/x',
    'https://exa%6dple.com/x',
    'ftp://example.com/x',
    'https:/example.com/x',
    'https://',
  ])('judges %s exactly as the URL parser does', (url) => {
    expect(publicUrlProblem(url)).toBe(parsedUrlProblem(url));
  });
});
