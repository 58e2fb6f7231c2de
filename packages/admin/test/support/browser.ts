import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { browserMissing, CHROMIUM_PATH, launchChromium } from '@strongroom/testkit';

/**
 * Where screenshots go: `docs/screenshots/` when STRONGROOM_SCREENSHOTS=1 (`npm run screenshots`
 * -w @strongroom/admin), else a temporary directory, so a plain test run leaves the tree clean.
 */
export function screenshotDir(): string {
  if (process.env.STRONGROOM_SCREENSHOTS !== '1') return mkdtempSync(join(tmpdir(), 'sr-shots-'));
  const dir = fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  return dir;
}
