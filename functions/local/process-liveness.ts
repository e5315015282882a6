/**
 * Whether a process on this host is still the one that took a lease, for the CLI's crash-safe
 * rerun after `kill -9`. `kill(pid, 0)` alone is not enough: a killed process stays visible as a
 * zombie until its parent reaps it, and a pid can be reused by an unrelated process. On Linux the
 * process's own state and start time (`/proc/<pid>/stat`) settle both.
 */
import { readFileSync } from 'node:fs';

interface ProcStat {
  /** R, S, D, Z (zombie), X (dead), … */
  readonly state: string;
  /** Start time after boot in clock ticks: with the pid, identifies one process for good. */
  readonly startTime: string;
}

/** `/proc/<pid>/stat`, or null where there is no such file (process gone, or not Linux). */
function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid … starttime …": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  return state && startTime ? { state, startTime } : null;
}

const hasProc = (): boolean => procStat(process.pid) !== null;

/** This process's start time as {@link processIsGone} compares it (undefined where the platform does not tell). */
export function processStartOf(pid: number): string | undefined {
  return procStat(pid)?.startTime;
}

/**
 * True when the process `pid` (started at `processStart`, if known) no longer runs: no such
 * pid, a zombie, or a pid now held by a process that started at another time.
 */
export function processIsGone(pid: number, processStart?: string): boolean {
  if (hasProc()) {
    const stat = procStat(pid);
    if (!stat) return true;
    if (stat.state === 'Z' || stat.state === 'X') return true;
    return processStart !== undefined && stat.startTime !== processStart;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
