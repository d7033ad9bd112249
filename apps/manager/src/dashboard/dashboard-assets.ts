/**
 * The page's files: index.html and dashboard.css from apps/manager/page, and
 * dashboard.js that the build bundles from page/*.ts (tools/bundle-nodes.mjs).
 * Everything the page loads comes from here; nothing from the internet.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

// This module runs from apps/manager/dist/dashboard (and from src/dashboard in tests): two levels below the app.
const APP_DIR = resolve(__dirname, '..', '..');
export const PAGE_DIR = resolve(APP_DIR, 'page');
export const PAGE_SCRIPT = resolve(APP_DIR, 'dist', 'page', 'dashboard.js');

export interface DashboardAsset {
  type: string;
  body: Buffer;
}

/** Read once at start; a missing script means the page was not built. */
export function loadDashboardAssets(): Map<string, DashboardAsset> {
  let script: Buffer;
  try {
    script = readFileSync(PAGE_SCRIPT);
  } catch {
    throw new Error(`the dashboard page script ${PAGE_SCRIPT} is missing; build it with 'npm run build'`);
  }
  return new Map([
    ['/', { type: 'text/html; charset=utf-8', body: readFileSync(resolve(PAGE_DIR, 'index.html')) }],
    ['/assets/dashboard.css', { type: 'text/css; charset=utf-8', body: readFileSync(resolve(PAGE_DIR, 'dashboard.css')) }],
    ['/assets/dashboard.js', { type: 'text/javascript; charset=utf-8', body: script }],
    ['/favicon.svg', { type: 'image/svg+xml', body: readFileSync(resolve(PAGE_DIR, 'favicon.svg')) }],
  ]);
}
