import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { hasChromium, launchLoopbackBrowser, REPO_ROOT, TopologyHarness, httpJson, type LoopbackBrowser } from '@dske/test-support';

// Swagger UI in a real browser (Debian's chromium), ReDoc and the OpenAPI
// documents of a hub and a client.
const SCREENSHOT = join(REPO_ROOT, 'tmp', 'swagger-client.png');

interface OpenApi {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }>; requestBody?: { content: Record<string, { schema: { $ref?: string } }> } }>>;
  components: { schemas: Record<string, { type?: string; properties?: Record<string, unknown>; required?: string[] }>; securitySchemes?: Record<string, unknown> };
}

describe.skipIf(!hasChromium())('Swagger UI, ReDoc and OpenAPI of a hub and a client', () => {
  let topology: TopologyHarness;
  let context: BrowserContext;
  let browser: LoopbackBrowser | undefined;

  beforeAll(async () => {
    topology = await TopologyHarness.start({ hubs: ['hank'], clients: [{ name: 'carol', encryptors: ['sam'] }], minNrShares: 1 });
    // The browser talks to the nodes under test and nothing else.
    browser = await launchLoopbackBrowser({ width: 1280, height: 1400 });
    context = browser.context;
  });
  afterAll(async () => {
    await browser?.close();
    await topology?.close();
  });

  const origin = (kind: 'hub' | 'client', name: string) => `http://127.0.0.1:${(kind === 'hub' ? topology.hub(name) : topology.client(name)).port}`;

  /** Open /docs, run GET /{kind}/{name}/mgmt/v1/status with "Try it out" and "Execute"; returns the page. */
  async function tryMgmtStatus(kind: 'hub' | 'client', name: string) {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${origin(kind, name)}/docs`);
    await expect.poll(() => page.title()).toBe(`DSKE ${kind} ${name}`);
    const path = `/${kind}/${name}/mgmt/v1/status`;
    const operation = page.locator('.opblock.opblock-get', { has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
    await operation.locator('.opblock-summary').first().click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.getByRole('button', { name: 'Execute' }).click();
    const live = operation.locator('.live-responses-table');
    await live.locator('.response-col_status').first().waitFor({ timeout: 15_000 });
    expect((await live.locator('tbody .response-col_status').first().innerText()).trim()).toBe('200');
    const body = await live.locator('tbody .response-col_description pre').first().innerText();
    expect(JSON.parse(body).name).toBe(name);
    // The request Swagger UI shows is the one it sent: same origin, the node's own path.
    await expect.poll(() => operation.locator('.request-url pre').innerText()).toBe(`${origin(kind, name)}${path}`);
    expect(errors).toEqual([]);
    return page;
  }

  it('hub /docs: Try it out on mgmt status answers 200 with the hub name', async () => {
    const page = await tryMgmtStatus('hub', 'hank');
    await page.close();
  });

  it('client /docs: Try it out on mgmt status answers 200 with the client name (screenshot)', async () => {
    const page = await tryMgmtStatus('client', 'carol');
    mkdirSync(join(REPO_ROOT, 'tmp'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
    expect(existsSync(SCREENSHOT)).toBe(true);
    await page.close();
  });

  it.each([
    ['hub', 'hank'],
    ['client', 'carol'],
  ] as const)('%s %s: /redoc answers HTML that points at /openapi.json', async (kind, name) => {
    const response = await fetch(`${origin(kind, name)}/redoc`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('<redoc spec-url="/openapi.json">');
    expect(html).toContain(`<title>DSKE ${kind} ${name} - ReDoc</title>`);
    // The script is the node's own copy of the bundle, not a CDN's.
    expect(html).toContain('<script src="/redoc/redoc.standalone.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);
    const script = await fetch(`${origin(kind, name)}/redoc/redoc.standalone.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await script.text()).length).toBeGreaterThan(500_000);
  });

  it('client carol: /redoc renders the API in the browser with no network beyond the node', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${origin('client', 'carol')}/redoc`);
    // ReDoc draws the title and the operations from /openapi.json.
    await page.locator('h1', { hasText: 'DSKE client carol' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByText('/client/carol/mgmt/v1/status').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it.each([
    ['hub', 'hank', ['PostKeyShareDto', 'GetKeyShareResponseDto', 'RegistrationDto', 'PsrdResponseDto', 'HubStatusDto', 'ErrorDto', 'FragmentDto']],
    ['client', 'carol', ['KeyRequestDto', 'KeyIdsDto', 'KeyContainerDto', 'StatusDto', 'EtsiErrorDto', 'ClientStatusDto']],
  ] as const)('%s %s: /openapi.json has the DTO schemas and a response schema for every operation', async (kind, name, dtos) => {
    const response = await httpJson<OpenApi>('GET', `${origin(kind, name)}/openapi.json`);
    expect(response.status).toBe(200);
    const doc = response.body;
    for (const dto of dtos) {
      const schema = doc.components.schemas[dto];
      expect(schema, dto).toBeDefined();
      expect(Object.keys(schema.properties ?? {}).length, dto).toBeGreaterThan(0);
    }
    expect(doc.components.schemas.PostKeyShareDto?.properties ?? {}).toEqual(kind === 'hub' ? expect.objectContaining({ encryption_key_allocation: expect.anything(), encrypted_share_value: expect.anything() }) : {});
    if (kind === 'client') expect(Object.keys(doc.components.securitySchemes ?? {})).toContain('sae');

    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ id: `${method.toUpperCase()} ${path}`, op })));
    expect(operations.map((o) => o.id)).toContain(`GET /${kind}/${name}/mgmt/v1/status`);
    for (const { id, op } of operations) {
      const withSchema = Object.values(op.responses).filter((r) => Object.values(r.content ?? {}).some((c) => c.schema !== undefined));
      expect(withSchema.length, `${id} has no response with a schema`).toBeGreaterThan(0);
      // Request bodies are named DTOs with properties, not free-form objects.
      for (const content of Object.values(op.requestBody?.content ?? {})) {
        const ref = content.schema.$ref;
        expect(ref, `${id} request body`).toMatch(/^#\/components\/schemas\//);
        expect(Object.keys(doc.components.schemas[ref!.split('/').pop()!].properties ?? {}).length, `${id} request body`).toBeGreaterThan(0);
      }
    }
  });
});
