/** What replaces a credential wherever the runtime finds one. */
export const REDACTED = '[redacted]';

/** Shortest value worth scrubbing: shorter ones would mangle ordinary text. */
const MIN_LENGTH = 6;

/** The forms a value may take on its way into text: as is, base64, base64url, hex, URL-encoded. */
function formsOf(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms = [
    value,
    bytes.toString('base64'),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
  ];
  return [...new Set(forms)].filter((f) => f.length >= MIN_LENGTH);
}

/**
 * Removes the given values, in their common encodings, from strings and from anything JSON-like
 * (walking arrays and objects, keys included). Defence in depth: nothing the runtime resolves is
 * meant to reach model context, a log line or an error in the first place.
 * @example const scrub = createScrubber([providerKey, mcpToken]); scrub.text('key sk-1…') // 'key [redacted]'
 */
export function createScrubber(values: Iterable<string>) {
  const forms = [...new Set([...values].flatMap(formsOf))].sort((a, b) => b.length - a.length);
  const text = (input: string): string => {
    let out = input;
    for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out;
  };
  const deep = <T>(input: T): T => {
    if (typeof input === 'string') return text(input) as T;
    if (Array.isArray(input)) return input.map(deep) as T;
    if (input && typeof input === 'object' && Object.getPrototypeOf(input) === Object.prototype) {
      return Object.fromEntries(Object.entries(input).map(([k, v]) => [text(k), deep(v)])) as T;
    }
    return input;
  };
  return {
    text,
    deep,
    /** The longest form, for holding back the tail of a stream until it cannot hide a split value. */
    maxLength: forms[0]?.length ?? 0,
  };
}

export type Scrubber = ReturnType<typeof createScrubber>;
