/** Test support for packages that test against the real API (the runtime, the console). */
export * from './canary';
export * from './expect-error';
export * from './harness';
export * from './processes';
export { setInfraSecret } from '../../src/infra-secrets/service';
export * from './seed';
export * from './oauth';
