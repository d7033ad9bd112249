/** What DocumentedMethods reads of an Express router layer: a route's path (`:name` parameters) and methods. */
export interface ExpressLayer {
  route?: { path: unknown; methods: Record<string, boolean | undefined> };
}

/**
 * Which methods each path answers, as the node's own OpenAPI document says:
 * a request with any other method on a documented path (HEAD included, which
 * Express would otherwise run as a GET) is a 405 that changes nothing, and a
 * path that is a documented one only in other letter case or with a trailing
 * slash (`/STOP`, `/stop/`, which Express routes alike) is no path at all.
 */
export class DocumentedMethods {
  /**
   * From the routes Nest registered with Express for the controllers: the
   * same paths and methods as the OpenAPI document (a test compares them),
   * without building the document.
   */
  static fromExpressRoutes(layers: readonly ExpressLayer[]): DocumentedMethods {
    const paths: Record<string, Record<string, true>> = {};
    for (const { route } of layers) {
      if (route === undefined || typeof route.path !== 'string') continue;
      const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      for (const [method, on] of Object.entries(route.methods)) if (on && method !== '_all') (paths[path] ??= {})[method] = true;
    }
    return new DocumentedMethods(paths);
  }

  private readonly routes: Array<{ pattern: RegExp; loose: RegExp; methods: Set<string> }>;

  constructor(paths: Record<string, Record<string, unknown>>) {
    this.routes = Object.entries(paths).map(([path, operations]) => {
      // OpenAPI path templates: {param} is one non-empty segment.
      const source = path.split(/\{[^}]+\}/).map(escapeRegExp).join('[^/]+');
      return { pattern: new RegExp(`^${source}$`), loose: new RegExp(`^${source}/*$`, 'i'), methods: new Set(Object.keys(operations).map((m) => m.toUpperCase())) };
    });
  }

  /** True for a path that only looks like a documented one (other case, trailing slashes). */
  isVariant(path: string): boolean {
    return !this.routes.some((r) => r.pattern.test(path)) && this.routes.some((r) => r.loose.test(path));
  }

  /**
   * The methods `path` documents when `method` is not one of them; undefined
   * when allowed or not a documented path. A path that several templates
   * match (GET /x/lookup beside POST /x/{name}) has the methods of them all.
   */
  refused(method: string, path: string): string[] | undefined {
    let allowed: Set<string> | undefined;
    for (const route of this.routes) {
      if (!route.pattern.test(path)) continue;
      if (route.methods.has(method)) return undefined;
      allowed ??= new Set();
      for (const allowedMethod of route.methods) allowed.add(allowedMethod);
    }
    if (allowed === undefined) return method === 'HEAD' ? [] : undefined;
    return [...allowed].sort();
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
