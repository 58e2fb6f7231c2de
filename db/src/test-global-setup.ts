import { setupTestTemplate } from './testing';

/** vitest globalSetup for any package whose tests open a database. */
export default async function setup() {
  return setupTestTemplate();
}
