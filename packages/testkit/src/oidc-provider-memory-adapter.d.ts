// oidc-provider ships no types for its in-memory adapter; this is the one export the testkit uses.
declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  import type { Adapter } from 'oidc-provider';
  /** A fresh in-memory store; every provider built with the same factory shares it. */
  export function createMemoryAdapter(clockTolerance?: number): (model: string) => Adapter;
}
