export * from './kms-wire-server';
export * from './localstack';
