/**
 * `./manager dashboard` in Debian's Chromium (playwright-core) on the user
 * guide's topology: the page renders the graph (screenshot kept in
 * tmp/dashboard.png), a key pair moves carol's and curtis's counters, hub
 * hugo stopped is drawn down within 3 s and up again once started, a node's
 * raw status opens on a click, and no request leaves 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange, hasChromium, launchLoopbackBrowser, type LoopbackBrowser } from '@dske/test-support';
import { cleanUpAll, guideTopology, manager, MANAGER, REPO_ROOT, type TopologyDir } from './support/manager-run';

const SCREENSHOT = join(REPO_ROOT, 'tmp', 'dashboard.png');

/** Starts `./manager dashboard --port 0` in `dir`; resolves with the process and the page's URL from its first line. */
function startDashboard(dir: string, globalArgs: string[] = []): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(MANAGER, [...globalArgs, 'dashboard', '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the dashboard did not say where it listens: ${output}`)), 30_000);
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, output: () => output });
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('exit', (code) => reject(new Error(`the dashboard exited (${code}): ${output}`)));
  });
}

describe.skipIf(!hasChromium())('./manager dashboard in a browser', () => {
  let t: TopologyDir;
  let dashboard: { child: ChildProcess; url: string; output: () => string } | undefined;
  let browser: LoopbackBrowser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    t = await guideTopology();
    const started = await manager(t.dir, ['start']);
    expect(started.code, started.stderr.join('\n')).toBe(0);
    dashboard = await startDashboard(t.dir);
    // The page may load from the manager only: anything else is recorded and refused.
    browser = await launchLoopbackBrowser({ width: 1440, height: 1100 });
    page = await browser.context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(dashboard.url);
  });

  afterAll(async () => {
    await browser?.close();
    await stopDashboard(dashboard);
    await cleanUpAll();
  });

  const nodeUp = (id: string) => page.locator(`[data-node="${id}"]`).getAttribute('data-up');
  const count = async (selector: string, attribute: string) => Number(await page.locator(selector).getAttribute(attribute));

  it('renders the topology as a graph: every hub and client up, an edge with two pool bars per pair (screenshot)', async () => {
    await expect.poll(() => page.locator('[data-node][data-up="true"]').count(), { timeout: 15_000 }).toBe(10);
    expect(await page.locator('[data-edge]').count()).toBe(25);
    expect(await page.locator('[data-edge="carol/hank"] .bar').count()).toBe(2);
    // Pools hold PSRD after the start: every bar has a byte count, none is unknown.
    await expect.poll(() => page.locator('[data-edge] .bar-unknown').count(), { timeout: 10_000 }).toBe(0);
    expect(await page.locator('#connection').innerText()).toBe('live');
    expect(await page.locator('[data-client]').count()).toBe(5);
    expect(await page.locator('[data-hub]').count()).toBe(5);
    expect(await page.locator('[data-client="curtis"] .chip').allInnerTexts()).toEqual(['sunny', 'susan']);
    expect(await page.title()).toBe('DSKE dske-config.yaml: 10 of 10 nodes up');
    expect(await page.locator('#summary').innerText()).toMatch(/^10 of 10 nodes up · [0-9.]+ keys\/s · \d+ shares held$/);
    mkdirSync(join(REPO_ROOT, 'tmp'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it('a key pair moves carol\'s keys made and curtis\'s keys delivered by one', async () => {
    const made = await count('[data-client="carol"]', 'data-keys-made');
    const delivered = await count('[data-client="curtis"]', 'data-keys-delivered');
    const pair = await manager(t.dir, ['etsi-qkd', 'sam', 'sunny', 'get-key-pair']);
    expect(pair.code, pair.stderr.join('\n')).toBe(0);
    await expect.poll(() => count('[data-client="carol"]', 'data-keys-made'), { timeout: 5000 }).toBe(made + 1);
    await expect.poll(() => count('[data-client="curtis"]', 'data-keys-delivered'), { timeout: 5000 }).toBe(delivered + 1);
  });

  it('a refill is seen: large keys drain carol\'s pools, and their bars flash as the refill lands', async () => {
    const seen = page.waitForSelector('[data-edge^="carol/"] .bar-grew', { state: 'attached', timeout: 15_000 });
    // 8192-bit keys: 1 KiB of each pool per hub and key, so carol's pools drop below the start threshold and refill.
    for (let i = 0; i < 3; i++) {
      const pair = await manager(t.dir, ['etsi-qkd', 'sam', 'sunny', 'get-key-pair', '--size', '8192']);
      expect(pair.code, pair.stderr.join('\n')).toBe(0);
    }
    expect(await seen).not.toBeNull();
  });

  it('hub hugo stopped is drawn down within 3 s; started again, it is up', async () => {
    const stopped = await manager(t.dir, ['--hub', 'hugo', 'stop']);
    expect(stopped.code, stopped.stderr.join('\n')).toBe(0);
    const since = Date.now();
    await expect.poll(() => nodeUp('hub/hugo'), { timeout: 3000, interval: 100 }).toBe('false');
    expect(Date.now() - since).toBeLessThan(3000);
    expect(await page.locator('[data-node="hub/hugo"] .node-sub').textContent()).toBe('down');
    expect(await page.locator('[data-hub="hugo"]').getAttribute('class')).toContain('is-down');
    // The others stay up.
    expect(await page.locator('[data-node][data-up="true"]').count()).toBe(9);
    expect(await page.locator('#summary').innerText()).toMatch(/^9 of 10 nodes up · /);

    const started = await manager(t.dir, ['--hub', 'hugo', 'start']);
    expect(started.code, started.stderr.join('\n')).toBe(0);
    await expect.poll(() => nodeUp('hub/hugo'), { timeout: 5000, interval: 100 }).toBe('true');
  });

  it("clicking a node opens its raw mgmt status and links to its /docs and /redoc", async () => {
    await page.locator('[data-node="client/carol"]').click();
    const details = page.locator('[data-details="client/carol"]');
    await expect.poll(async () => (await details.locator('pre.raw').innerText()).startsWith('{'), { timeout: 5000 }).toBe(true);
    const raw = JSON.parse(await details.locator('pre.raw').innerText());
    expect(raw.name).toBe('carol');
    expect(raw.peer_hubs).toHaveLength(5);
    const carolPort = t.port(5);
    expect(await details.getByRole('link', { name: /Swagger UI/ }).getAttribute('href')).toBe(`http://127.0.0.1:${carolPort}/docs`);
    expect(await details.getByRole('link', { name: /ReDoc/ }).getAttribute('href')).toBe(`http://127.0.0.1:${carolPort}/redoc`);
  });

  it('loads nothing from anywhere but the manager, and the page raised no error', () => {
    expect(browser?.elsewhere).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

/** Stops a dashboard subprocess: SIGTERM, then SIGKILL after 5 s. */
async function stopDashboard(dashboard: { child: ChildProcess } | undefined): Promise<void> {
  if (dashboard === undefined || dashboard.child.exitCode !== null) return;
  const exited = new Promise((resolve) => dashboard.child.once('exit', resolve));
  dashboard.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  if (dashboard.child.exitCode === null) dashboard.child.kill('SIGKILL');
}

describe.skipIf(!hasChromium())('./manager dashboard shows what a node says as text, never as markup', () => {
  const HOSTILE = '<img src=x onerror="window.__dske_pwned=1">';
  let dir: string;
  let node: Server;
  let dashboard: { child: ChildProcess; url: string } | undefined;
  let browser: LoopbackBrowser | undefined;

  beforeAll(async () => {
    // A "client" that answers its mgmt status with markup everywhere a string may be (another version, or a hostile node).
    node = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          name: 'carol',
          encryptor_names: [HOSTILE],
          activity: { keys_made: 1, keys_delivered: 1, key_requests_failed: 1, recent_etsi_errors: [{ time: new Date().toISOString(), method: 'GET', route: HOSTILE, status: 400, code: HOSTILE, message: HOSTILE }] },
          peer_hubs: [],
        }),
      );
    });
    await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
    dir = mkdtempSync(join(tmpdir(), 'dske-dashboard-hostile-'));
    writeFileSync(join(dir, 'dske-config.yaml'), `base_port: ${await freePortRange(2)}\nmin_nr_shares: 1\nallow_single_share: true\nhubs: [{name: hank}]\nclients: [{name: carol, encryptors: [{name: sam}]}]\n`);
    dashboard = await startDashboard(dir, ['--node-url', `carol=http://127.0.0.1:${(node.address() as AddressInfo).port}`]);
    browser = await launchLoopbackBrowser({ width: 1280, height: 900 });
  });
  afterAll(async () => {
    await browser?.close();
    await stopDashboard(dashboard);
    await new Promise((resolve) => node?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the markup shows as characters, runs nothing, and loads nothing', async () => {
    const page = await browser!.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(dashboard!.url);
    const card = page.locator('[data-client="carol"]');
    await expect.poll(() => card.locator('.chip').first().textContent(), { timeout: 10_000 }).toBe(HOSTILE);
    expect(await card.locator('.err-code').textContent()).toBe(HOSTILE);
    expect(await card.locator('.err-message').textContent()).toBe(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __dske_pwned?: number }).__dske_pwned)).toBeUndefined();
    expect(browser!.elsewhere).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
