import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * Guards in the source are named (`// Precondition: …`, `// Postcondition: …`) and each has a test
 * carrying the same name, as in the AWS Encryption SDK. This keeps the two from drifting apart.
 */
const read = (dir: string) =>
  readdirSync(new URL(dir, import.meta.url))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(new URL(`${dir}${f}`, import.meta.url), 'utf8'));

const guards = read('../src/').flatMap((source) =>
  [...source.matchAll(/\/\/ ((?:Pre|Post)condition: [^:;(\n]*)/g)].map((m) => m[1]!.replace(/[. ]+$/, '')),
);
const tests = read('./').join('\n');

describe('named guards', () => {
  it('the source names its guards', () => {
    expect(guards.length).toBeGreaterThan(20);
  });

  it.each(guards)('%s — has a test of that name', (guard) => {
    expect(tests).toContain(`'${guard}`);
  });
});
