import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** The two windows every page is checked in: a laptop and a phone. */
export const VIEWPORTS = [
  { name: '1280', width: 1280, height: 800 },
  { name: '390', width: 390, height: 844 },
] as const;

/**
 * What a page must get right at any width: nothing scrolls the window sideways, and no visible
 * button sticks out of the card, panel or table it sits in (which would hide it or cut it off).
 * Returns the offending buttons' texts so a failure names them.
 */
export async function layoutProblems(page: Page) {
  return page.evaluate(() => {
    const overflow = document.scrollingElement!.scrollWidth - window.innerWidth;
    const clipped: string[] = [];
    for (const button of document.querySelectorAll<HTMLButtonElement>('main button, dialog[open] button')) {
      const box = button.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;
      const card = button.closest('.panel, .card, .table-wrap, .facts, dialog, main')!.getBoundingClientRect();
      const outside = box.left < card.left - 0.5 || box.right > card.right + 0.5 || box.right > window.innerWidth;
      if (outside) clipped.push(button.textContent.trim());
    }
    return { overflow: Math.max(0, overflow), clipped };
  });
}

/** Asserts the layout at the current size, then saves a full-page screenshot as `<name>.png` in `dir`. */
export async function checkAndShoot(page: Page, dir: string, name: string) {
  expect(await layoutProblems(page), name).toEqual({ overflow: 0, clipped: [] });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
