import { describe, expect, it } from 'vitest';
import { AppError } from '../core/errors';
import { classifyImport, type Current, parseImport } from './import';
import { MAX_IMPORT_ENTRIES } from './schemas';

const CANARY = 'canary-import-3f9a1c';

function badContent(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'BAD_REQUEST', field: 'content' });
    expect((err as Error).message).not.toContain(CANARY);
    return (err as Error).message;
  }
  throw new Error('expected a BAD_REQUEST');
}

describe('parseImport', () => {
  it('reads a .env file with dotenv: comments, export, quotes and multi-line values', () => {
    const content = `# comment\nexport API_KEY=sk-1\nQUOTED="a b # not a comment"\nMULTI="one\ntwo"\nplain.name-1 = v # note\n`;
    expect(parseImport('dotenv', content)).toEqual([
      { name: 'API_KEY', value: 'sk-1' },
      { name: 'QUOTED', value: 'a b # not a comment' },
      { name: 'MULTI', value: 'one\ntwo' },
      { name: 'plain.name-1', value: 'v' },
    ]);
  });

  it('reads a JSON object of names to strings', () => {
    expect(parseImport('json', JSON.stringify({ A: 'x', B: `y\u0000z` }))).toEqual([
      { name: 'A', value: 'x' },
      { name: 'B', value: 'y\u0000z' },
    ]);
  });

  it('names the line of a bad name or value in a .env file, never the value', () => {
    expect(badContent(() => parseImport('dotenv', `A=${CANARY}\n_HIDDEN=${CANARY}\n`))).toMatch(
      /^line 2 \("_HIDDEN"\): the name may contain only letters/,
    );
    expect(badContent(() => parseImport('dotenv', `A=${CANARY}\n\nEMPTY=\n`))).toBe(
      'line 3 ("EMPTY"): the value must not be empty',
    );
  });

  it('names the key of a bad entry in JSON, and refuses what is not an object of strings', () => {
    expect(badContent(() => parseImport('json', JSON.stringify({ ok: CANARY, 'bad name': CANARY })))).toMatch(
      /^key "bad name": the name may contain only/,
    );
    expect(badContent(() => parseImport('json', JSON.stringify({ n: 1 })))).toBe('key "n": the value must be a string');
    expect(badContent(() => parseImport('json', JSON.stringify({ ' A': CANARY })))).toMatch(/surrounding spaces/);
    expect(badContent(() => parseImport('json', `{"A": ${CANARY}}`))).toBe('content is not valid JSON');
    expect(badContent(() => parseImport('json', JSON.stringify([CANARY])))).toMatch(/must be a JSON object/);
  });

  it('refuses an import with no entries or more than the bound', () => {
    expect(badContent(() => parseImport('dotenv', '# nothing here\nnot an assignment\n'))).toMatch(/no NAME=value/);
    const many = Array.from({ length: MAX_IMPORT_ENTRIES + 1 }, (_, i) => `K${i}=v`).join('\n');
    expect(badContent(() => parseImport('dotenv', many))).toBe(
      `content has ${MAX_IMPORT_ENTRIES + 1} entries; an import takes at most ${MAX_IMPORT_ENTRIES}`,
    );
  });
});

describe('classifyImport', () => {
  const entries = [
    { name: 'new', value: 'n' },
    { name: 'same', value: 's' },
    { name: 'changed', value: 'c2' },
    { name: 'hidden', value: 'h' },
  ];
  const current = new Map<string, Current>([
    ['same', { value: 's' }],
    ['changed', { value: 'c1' }],
    ['hidden', 'hidden' as const],
  ]);

  it('tells new, unchanged and changed names apart, by the conflict policy', () => {
    const statuses = (policy: 'skip' | 'update' | 'fail') =>
      classifyImport(entries, current, policy).map((r) => r.status);
    expect(statuses('update')).toEqual(['created', 'unchanged', 'updated', 'updated']);
    expect(statuses('skip')).toEqual(['created', 'unchanged', 'skipped', 'skipped']);
    expect(statuses('fail')).toEqual(['created', 'unchanged', 'conflict', 'conflict']);
  });
});
