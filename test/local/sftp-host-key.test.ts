/**
 * The local SFTP server's host key: ssh2 1.17's ed25519 generator sometimes makes a key its own
 * parser refuses (mscdex/ssh2 #1390, #1513), which used to be written and then fail every start of
 * that state directory. Only a key that parses is written.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../functions/core/errors.js';
import { loadOrCreateHostKey, type HostKeyPair } from '../../functions/local/dev/sftp-server.js';

/** A pair ssh2 1.17 really generated (its public key is 31 bytes) and cannot parse back. */
const UNREADABLE: HostKeyPair = {
  private: [
    '-----BEGIN OPENSSH PRIVATE KEY-----',
    'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMgAAAAtz',
    'c2gtZWQyNTUxOQAAAB/AGHFDz59ERjpRx0wLCM3I1UQMh1wrxXxD7d7GSDsoAAAA',
    'mN+7blvfu25bAAAAC3NzaC1lZDI1NTE5AAAAH8AYcUPPn0RGOlHHTAsIzcjVRAyH',
    'XCvFfEPt3sZIOygAAAA/sfpJSt+nFUPT7HQ3I7qqIp0OdvjRp31ojFEzrb1k5S/A',
    'GHFDz59ERjpRx0wLCM3I1UQMh1wrxXxD7d7GSDsoAAAAFHdheWtlLWRtcyBsb2Nh',
    'bCBzZnRwAQID',
    '-----END OPENSSH PRIVATE KEY-----',
    '',
  ].join('\n'),
  public: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAH8AYcUPPn0RGOlHHTAsIzcjVRAyHXCvFfEPt3sZIOyg= wayke-dms local sftp',
};

const readable = (key: string) => !(ssh2.utils.parseKey(key) instanceof Error);
const realPair = (): HostKeyPair => ssh2.utils.generateKeyPairSync('ed25519');

/** A generator that hands out `pairs` in order and counts its calls. */
function scripted(...pairs: Array<() => HostKeyPair>) {
  const generator = Object.assign(() => (pairs[generator.calls++] ?? pairs.at(-1)!)(), { calls: 0 });
  return generator;
}

const dirs: string[] = [];
const keyPath = () => {
  const dir = mkdtempSync(join(tmpdir(), 'sftp-host-key-'));
  dirs.push(dir);
  return join(dir, 'state', 'ssh_host_ed25519_key');
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the SFTP host key of a fresh state directory', () => {
  it('is the fixture ssh2 really cannot read (so the next cases test what they say)', () => {
    expect(readable(UNREADABLE.private)).toBe(false);
  });

  it('is made again when the first key made cannot be read back, and only the readable one is written', () => {
    const path = keyPath();
    const generate = scripted(() => UNREADABLE, realPair);
    const key = loadOrCreateHostKey(path, generate);
    expect(generate.calls).toBe(2);
    expect(readable(key)).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(key);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readable(readFileSync(`${path}.pub`, 'utf8').trim())).toBe(true);
  });

  it('after ten unreadable keys, fails in words and writes nothing', () => {
    const path = keyPath();
    const generate = scripted(() => UNREADABLE);
    let thrown: unknown;
    try {
      loadOrCreateHostKey(path, generate);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PermanentError);
    expect((thrown as Error).message).toBe(
      'ssh2 made 10 SFTP host keys in a row that it cannot read back; check the installed ssh2 version',
    );
    expect(generate.calls).toBe(10);
    expect(existsSync(path)).toBe(false);
  });

  it('is kept once written: the next start reads it and makes none', () => {
    const path = keyPath();
    const first = loadOrCreateHostKey(path);
    const generate = scripted(realPair);
    expect(loadOrCreateHostKey(path, generate)).toBe(first);
    expect(generate.calls).toBe(0);
  });
});
