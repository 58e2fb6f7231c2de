export * from './connect';
export * from './data-dir-lock';
export * from './introspect';
export * from './migrate';
export { BEFORE_LEGACY_PURGE, LEGACY_MIGRATION, migrations } from './migrations/index';
export * from './schema';
