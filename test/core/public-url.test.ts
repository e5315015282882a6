import { describe, expect, it } from 'vitest';
import { publicUrlProblem, redactUrl } from '../../functions/core/public-url.js';

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
