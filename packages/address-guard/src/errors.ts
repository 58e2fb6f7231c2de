export type AddressGuardErrorCode =
  /** The destination is in a blocked range and the allowlist does not name it. */
  | 'BLOCKED_ADDRESS'
  /** Not an http or https URL. */
  | 'UNSUPPORTED_PROTOCOL'
  /** The host name did not resolve (the resolver's error is the cause). */
  | 'UNRESOLVED'
  /** An allowlist entry is neither a host name, an IP address nor a CIDR. */
  | 'INVALID_ALLOWLIST';

/**
 * Why a destination was refused. The message is fit for a person (it names the host, the address
 * and the range, never a credential); `code` is stable for programs.
 * @example if (err instanceof AddressGuardError && err.code === 'BLOCKED_ADDRESS') ...
 */
export class AddressGuardError extends Error {
  override readonly name = 'AddressGuardError';
  constructor(
    readonly code: AddressGuardErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}
