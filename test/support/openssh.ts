import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';

/** Where Debian's OpenSSH client lives; tests that need it skip when it is not installed. */
export const SFTP_CLIENT = '/usr/bin/sftp';
export const hasOpenSshClient = (): boolean => existsSync(SFTP_CLIENT);

export interface SftpBatch {
  readonly port: number;
  /** A private key file the server accepts for `user` (mode 0600, or OpenSSH refuses it). */
  readonly keyFile: string;
  readonly user: string;
  /** Where OpenSSH keeps the server's host key between runs of one test file. */
  readonly knownHosts: string;
  /** The batch file to write `lines` to (a `-` before a command: the batch goes on after it fails). */
  readonly batchFile: string;
  readonly lines: readonly string[];
  /** `true`: a UTF-8 locale, so `ls` prints non-ASCII names as they are instead of escaping them. */
  readonly utf8?: boolean;
}

/**
 * Runs the real OpenSSH `sftp -b` against 127.0.0.1, as a dealer's script would. Resolves with
 * what it printed; rejects (with both outputs) when `sftp` exits non-zero.
 */
export function runSftpBatch(batch: SftpBatch): Promise<{ stdout: string; stderr: string }> {
  writeFileSync(batch.batchFile, [...batch.lines, 'bye'].join('\n'));
  const options = ['IdentitiesOnly=yes', 'StrictHostKeyChecking=no', `UserKnownHostsFile=${batch.knownHosts}`];
  const args = ['-b', batch.batchFile, '-P', String(batch.port), '-i', batch.keyFile];
  const env = batch.utf8 ? { ...process.env, LC_ALL: 'C.UTF-8' } : process.env;
  return new Promise((resolve, reject) => {
    execFile(
      SFTP_CLIENT,
      [...args, ...options.flatMap((option) => ['-o', option]), `${batch.user}@127.0.0.1`],
      { timeout: 20_000, env },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve({ stdout, stderr }),
    );
  });
}
