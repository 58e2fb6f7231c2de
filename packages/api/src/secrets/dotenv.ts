/**
 * Writing `.env` files that dotenv (`dotenv.parse`, either parser) reads back to exactly the values
 * written. Every value is quoted: single quotes or backticks are literal and may span lines, so
 * `#`, `$`, `"` and newlines need nothing more; double quotes are the only form in which dotenv
 * turns `\n` and `\r` back into line breaks, which a carriage return needs (dotenv folds raw ones
 * into `\n`). Single quotes come first because shells and Docker Compose don't expand `$` in them.
 */

/**
 * The quoted form of `value` that dotenv reads back unchanged, or undefined when none exists: a
 * value ending in a backslash (`\'` reads as an escaped quote, so the value would run on into the
 * next line), or one that holds every quote character and cannot be written in double quotes.
 * @example dotenvValue('p#ss $word') // "'p#ss $word'"
 */
export function dotenvValue(value: string): string | undefined {
  if (value.endsWith('\\')) return undefined;
  if (!value.includes('\r')) {
    for (const quote of ["'", '`']) if (!value.includes(quote)) return `${quote}${value}${quote}`;
  }
  // In double quotes dotenv reads a backslash-n or backslash-r of the value itself as a line break.
  if (value.includes('"') || /\\[nr]/.test(value)) return undefined;
  return `"${value.replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

/**
 * A `.env` file of `entries`, one `NAME='value'` line each, in the order given. Names are secret
 * names (letters, digits, `_`, `-`, `.`), which dotenv accepts as they are; every value must be
 * one `dotenvValue` can write.
 * @example toDotenv([{ name: 'API_KEY', value: 'sk-1' }]) // "API_KEY='sk-1'\n"
 */
export function toDotenv(entries: readonly { name: string; value: string }[]): string {
  return entries
    .map(({ name, value }) => {
      const quoted = dotenvValue(value);
      if (quoted === undefined) throw new TypeError(`Expected a value that a .env file can carry for "${name}"`);
      return `${name}=${quoted}\n`;
    })
    .join('');
}
