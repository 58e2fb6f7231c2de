export * from './browser';
export * from './kms-wire-server';
export * from './localstack';
export * from './gateway-stand-in';
export * from './mcp-server';
export * from './oidc-provider';
export * from './oauth-server';
