#!/usr/bin/env node
// The `strongroom` command. The API runs from its TypeScript source through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
