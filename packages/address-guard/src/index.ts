export { type Allowlist, isAllowed, parseAllowlist } from './allowlist';
export { type BlockedRange, classifyAddress, normaliseAddress } from './classify';
export { type CheckedDestination, checkDestination, type Resolve, type ResolvedAddress } from './destination';
export { AddressGuardError, type AddressGuardErrorCode } from './errors';
export { createGuardedFetch, type GuardedFetchOptions, pinnedLookup } from './guarded-fetch';
