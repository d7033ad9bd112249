/**
 * Debian's Chromium through playwright-core, as the browser tests use it: a
 * fresh profile, headless, and every request that is not for 127.0.0.1
 * refused and recorded (a page under test must not reach the internet).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = (): boolean => existsSync(CHROMIUM);

export interface LoopbackBrowser {
  context: BrowserContext;
  /** Requests the pages tried to make elsewhere than 127.0.0.1 (all refused). */
  elsewhere: string[];
  close(): Promise<void>;
}

export async function launchLoopbackBrowser(viewport: { width: number; height: number }): Promise<LoopbackBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'dske-chromium-'));
  const elsewhere: string[] = [];
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport,
    });
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      elsewhere.push(url.href);
      return route.abort();
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    elsewhere,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
