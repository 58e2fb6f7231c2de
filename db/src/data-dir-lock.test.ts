import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from './data-dir-lock';

const dir = () => join(mkdtempSync(join(tmpdir(), 'sr-lock-')), 'pgdata');

describe('lockDataDir', () => {
  it('refuses a second holder and names the first', () => {
    const d = dir();
    const release = lockDataDir(d, 'strongroom serve');
    try {
      expect(() => lockDataDir(d, 'strongroom migrate')).toThrow(DataDirLockedError);
      expect(() => lockDataDir(d)).toThrow(new RegExp(`process ${process.pid} \\(strongroom serve`));
    } finally {
      release();
    }
    expect(existsSync(`${d}.lock`)).toBe(false);
  });

  it('takes over a lock left by a dead process', () => {
    const d = dir();
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    writeFileSync(`${d}.lock`, JSON.stringify({ pid: dead, command: 'gone', startedAt: '', host: hostname() }));
    const release = lockDataDir(d);
    release();
  });

  it('treats a holder on another host as live', () => {
    const d = dir();
    writeFileSync(`${d}.lock`, JSON.stringify({ pid: 1, command: 'serve', startedAt: '', host: 'elsewhere' }));
    expect(() => lockDataDir(d)).toThrow(DataDirLockedError);
  });
});
