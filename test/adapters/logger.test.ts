import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../functions/adapters/logger.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function captureStreams() {
  const stderr: string[] = [];
  const stdout: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  return { stderr, stdout };
}

describe('createLogger({ toStderr })', () => {
  it('prints every level as one JSON line on stderr and nothing on stdout, secrets redacted', () => {
    const streams = captureStreams();
    const log = createLogger({ serviceName: 'stderr-test', toStderr: true, level: 'DEBUG' });
    log.debug('d');
    log.info('i', { dealerId: 'bilhallen', password: 'hunter2' });
    log.warn('w');
    log.error('e');
    expect(streams.stdout).toEqual([]);
    const lines = streams.stderr.join('').trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { message: string }).message)).toEqual(['d', 'i', 'w', 'e']);
    expect(JSON.parse(lines[1]!)).toMatchObject({
      service: 'stderr-test',
      dealerId: 'bilhallen',
      password: '[redacted]',
    });
    expect(streams.stderr.join('')).not.toContain('hunter2');
  });

  it("keeps stderr for a child logger's lines too", () => {
    const streams = captureStreams();
    const child = createLogger({ serviceName: 'parent', toStderr: true }).createChild({ serviceName: 'child' });
    child.info('from the child');
    expect(streams.stdout).toEqual([]);
    expect(JSON.parse(streams.stderr.join(''))).toMatchObject({ service: 'child', message: 'from the child' });
  });
});
