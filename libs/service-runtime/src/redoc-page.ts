/**
 * ReDoc at /redoc, served entirely by the node: the standalone bundle comes
 * from the `redoc` package (copied into the container image), so the page
 * works in an air-gapped lab. Without the bundle the page says so and points
 * at Swagger UI instead of fetching a script from the internet.
 */
export const REDOC_SCRIPT_PATH = '/redoc/redoc.standalone.js';

/** Where the installed standalone bundle is, or undefined when the package is not installed. */
export function findRedocBundle(): string | undefined {
  try {
    return require.resolve('redoc/bundles/redoc.standalone.js');
  } catch {
    return undefined;
  }
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function redocPage(title: string, haveBundle: boolean): string {
  const head = `<!DOCTYPE html><html><head><title>${escapeHtml(title)} - ReDoc</title><meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>`;
  if (!haveBundle) {
    return `${head}
<body><p>ReDoc is not installed on this node (npm package <code>redoc</code>).
The same API is described at <a href="/docs">/docs</a> (Swagger UI) and <a href="/openapi.json">/openapi.json</a>.</p></body></html>`;
  }
  return `${head}
<body><redoc spec-url="/openapi.json"></redoc>
<script src="${REDOC_SCRIPT_PATH}"></script></body></html>`;
}
