import type { RouterOutputs } from '@strongroom/client';
import Table from 'cli-table3';

/** `--json` on every command that prints data: scripts read JSON, people read tables. */
export interface OutputOptions {
  json?: boolean;
}

/** No borders, two spaces between columns, as `kubectl get` and `docker ps` print. */
const PLAIN = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/**
 * Prints `rows` as a table with `head` (or, with `--json`, `data` as JSON) to standard output.
 * @example printTable(opts, items, ['NAME', 'VERSION'], items.map((s) => [s.name, s.version]));
 */
export function printTable(
  options: OutputOptions,
  data: unknown,
  head: string[],
  rows: (string | number | null)[][],
): void {
  if (options.json) return printJson(data);
  const table = new Table({
    head,
    chars: PLAIN,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  table.push(...rows.map((row) => row.map((cell) => (cell === null ? '-' : String(cell)))));
  // The table pads every cell, the last column's too: no trailing blanks.
  console.log(table.toString().replace(/ +$/gm, ''));
}

export function printJson(data: unknown): void {
  console.log(JSON.stringify(data, null, 2));
}

/** What a command did: one line for people, or `data` as JSON with `--json`. */
export function printResult(options: OutputOptions, data: unknown, line: string): void {
  if (options.json) printJson(data);
  else console.log(line);
}

const SKIPPED: Record<RouterOutputs['secrets']['runEnv']['skipped'][number]['reason'], string> = {
  WRITE_ONLY: 'it is write-only (only the runtime may use its value)',
  UNSEALED: 'its legacy value is not sealed yet (restart the server)',
  NOT_DOTENV_SAFE: 'no quoting makes dotenv read its value back unchanged',
  NOT_ENV_SAFE: 'its value holds a NUL character, which an environment variable cannot',
};

/** One stderr line per secret the server left out, so stdout stays the data. */
export function reportSkipped(skipped: RouterOutputs['secrets']['runEnv']['skipped']): void {
  for (const s of skipped) console.error(`strongroom: left out ${s.name}: ${SKIPPED[s.reason]}`);
}
