import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';

/** Thrown when another live process holds the embedded database directory. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly lockFile: string,
    readonly holder: LockHolder,
  ) {
    super(
      `The embedded database at ${lockFile.replace(/\.lock$/, '')} is in use by process ${holder.pid} ` +
        `(${holder.command}, started ${holder.startedAt}). PGlite allows one process at a time: ` +
        `stop that process, or set DATABASE_URL to use Postgres, which any number of processes may share.`,
    );
  }
}

interface LockHolder {
  pid: number;
  command: string;
  startedAt: string;
  host: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/**
 * Takes an exclusive lock file for a PGlite directory (PGlite has none of its own), replacing a
 * stale one left by a dead process. Returns the release function.
 * @example const release = lockDataDir('./data/pgdata'); ...; release();
 */
export function lockDataDir(dir: string, command = process.argv.slice(1).join(' ')): () => void {
  const file = `${dir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      const holder: LockHolder = { pid: process.pid, command, startedAt: new Date().toISOString(), host: hostname() };
      writeSync(fd, JSON.stringify(holder));
      closeSync(fd);
      const release = () => {
        process.off('exit', release);
        if (readHolder(file)?.pid === process.pid) unlinkSync(file);
      };
      process.on('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(file);
      // A holder on another host cannot be checked, so it counts as live.
      if (holder && (holder.host !== hostname() || isAlive(holder.pid))) throw new DataDirLockedError(file, holder);
      unlinkSync(file); // stale: its process is gone
    }
  }
  throw new Error(`Could not lock ${dir}: the lock file keeps reappearing`);
}
