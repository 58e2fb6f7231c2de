import { isStrongroomError } from '@strongroom/client';

/** What the console shows for a failed call: words, and where they belong. */
export interface Problem {
  message: string;
  code: string | undefined;
  /** The input field at fault, when the server named one. */
  field: string | undefined;
  fieldErrors: Record<string, string[]>;
  details: Record<string, unknown> | undefined;
}

const UNREACHABLE = 'The server could not be reached. Check that it is running, then try again.';

/** The error as words; server messages are written for people and never hold a value. */
export function problemOf(err: unknown): Problem {
  const data = isStrongroomError(err) ? err.data : undefined;
  if (!data) return { message: UNREACHABLE, code: undefined, field: undefined, fieldErrors: {}, details: undefined };
  const message = (err as Error).message;
  const byCode: Record<string, string> = {
    UNAUTHORIZED: 'This token is not valid: it is wrong, revoked or expired.',
    FORBIDDEN: `Not allowed: ${message}`,
  };
  return {
    message: byCode[data.code] ?? message,
    code: data.code,
    field: data.field,
    fieldErrors: data.fieldErrors ?? {},
    details: data.details,
  };
}

/** Whether the server answered (as opposed to a dropped connection, which may be worth a retry). */
export function isApiAnswer(err: unknown): boolean {
  return isStrongroomError(err) && err.data !== undefined;
}

/**
 * Splits a failed call's problem between the form's fields and the form itself: a field error
 * goes next to its field when the form shows that field, and everything else above the buttons.
 * @example const errors = formErrors(create.error, ['name', 'value']); errors.field('name');
 */
export function formErrors(err: unknown, fields: readonly string[]) {
  const problem = err ? problemOf(err) : undefined;
  const field = (name: string): string | undefined => {
    if (!problem) return undefined;
    const messages = problem.fieldErrors[name];
    if (messages?.length) return messages.join('; ');
    return problem.field === name ? problem.message : undefined;
  };
  const named = problem ? [...Object.keys(problem.fieldErrors), ...(problem.field ? [problem.field] : [])] : [];
  const placed = named.length > 0 && named.every((name) => fields.includes(name));
  return { field, form: problem && !placed ? problem.message : undefined };
}
