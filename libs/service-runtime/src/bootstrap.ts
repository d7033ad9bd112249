import 'reflect-metadata';
import { ArgumentMetadata, ConsoleLogger, DynamicModule, INestApplication, Logger, Type, ValidationPipe } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ApiError } from './api-error';
import { ApiErrorFilter, ErrorRenderer } from './error-filter';
import { NodeLifecycle } from './node-lifecycle';
import { READINESS } from './health';
import { startHealthListener } from './health-listener';
import { findRedocBundle, REDOC_SCRIPT_PATH, redocPage } from './redoc-page';
import { DocumentedMethods, type ExpressLayer } from './documented-methods';
import { FORBIDDEN_NAMES, jsonShapeRefusal } from './json-shape';
import { compileDtoCheck, DtoClass } from './dto-check';
import { batchOutput } from './batched-output';
import { logTimestamp } from './log-time';
import { REQUEST_OBSERVER, routeBelowPrefix, type RequestObserver } from './request-metrics';
import { errorBodyOf } from './error-filter';
import { DirectRoutes, type DirectRouteSpec } from './direct-routes';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export interface NodeAppOptions {
  module: Type<unknown> | DynamicModule;
  kind: 'hub' | 'client';
  name: string;
  host: string;
  port: number;
  description: string;
  /** Adds the lab-mode `Authorization: Bearer <SAE ID>` scheme to the OpenAPI document. */
  saeBearerAuth?: boolean;
  /** Error shapes for path prefixes below the node's own prefix, e.g. 'etsi/' (and at the root: rootPathPrefix). */
  errorRenderers?: ErrorRenderer[];
  /** Routes served at the root rather than below /KIND/NAME, as path patterns (e.g. 'api/v1/keys/*path'). */
  rootRoutes?: string[];
  /** Serve HTTPS, asking for (not requiring) client certificates; the app decides what needs one. */
  tls?: { cert: Buffer; key: Buffer; ca: Buffer };
  /** Also answer /healthz and /readyz over plain HTTP on 127.0.0.1:healthPort. */
  healthPort?: number;
  /** The hot path: controller methods whose ordinary requests skip Express and Nest's request pipeline (see DirectRoutes). */
  directRoutes?: DirectRouteSpec[];
}

/** Largest request body (JSON) a node reads. */
const BODY_LIMIT_BYTES = 2 * 1024 * 1024;

export const API_VERSION = '1.0.0';

/**
 * A value that passes its DTO's compiled check (see compileDtoCheck) goes on
 * as it is (or converted by its @Transform); anything else gets
 * class-validator's full treatment, and so its messages.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const check = metadata.metatype !== undefined && metadata.type !== 'custom' ? compileDtoCheck(metadata.metatype as DtoClass) : undefined;
    return check?.(value) ?? super.transform(value, metadata);
  }
}

/** Reject unknown fields and query parameters; every 400 names what was wrong. */
export function strictValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const messages = errors.flatMap(function collect(e): string[] {
        const own = Object.values(e.constraints ?? {});
        return [...own, ...(e.children ?? []).flatMap(collect).map((m) => `${e.property}.${m}`)];
      });
      return new ApiError(400, 'validation', messages.join('; ') || 'invalid request', messages.map((message) => ({ message })));
    },
  });
}

/**
 * Request bodies are JSON only (415 otherwise): a text or form body would
 * reach the handlers as {} or as strings, e.g. an ETSI POST enc_keys sent as
 * text/plain would get one default key instead of the keys it asked for.
 */
function rejectNonJsonBodies(req: { headers: Record<string, string | string[] | undefined> }, _res: unknown, next: (error?: unknown) => void): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (hasBody && type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    next(new ApiError(415, 'unsupported-media-type', `request body must be application/json, not ${type || 'untyped'}`));
    return;
  }
  next();
}

interface ShapeRequest {
  method: string;
  path: string;
  url: string;
}

/**
 * What the contract refuses before routing: a method the path does not
 * document (405, with Allow), a look-alike of a documented path (404), a
 * query parameter named like a prototype property (400). Undefined: go on.
 */
function requestShapeError(req: ShapeRequest, documented: DocumentedMethods | undefined, res: { setHeader(name: string, value: string): void }): ApiError | undefined {
  if (documented === undefined) return undefined;
  const allowed = documented.refused(req.method, req.path);
  if (allowed !== undefined) {
    if (allowed.length > 0) res.setHeader('Allow', allowed.join(', '));
    return new ApiError(405, 'method-not-allowed', `${req.method} is not allowed on ${req.path}${allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : ''}`);
  }
  if (documented.isVariant(req.path)) return new ApiError(404, 'not-found', `no such path ${req.path} (paths are case-sensitive, without a trailing slash)`);
  const query = req.url.indexOf('?');
  if (query !== -1) {
    for (const name of new URLSearchParams(req.url.slice(query + 1)).keys()) {
      if (FORBIDDEN_NAMES.has(name)) return new ApiError(400, 'validation', `property ${name} should not exist`, [{ message: `property ${name} should not exist` }]);
    }
  }
  return undefined;
}

/** The module's RequestObserver (its metrics), if it provides one. */
function requestObserverOf(app: INestApplication): RequestObserver | undefined {
  try {
    return app.get<RequestObserver>(REQUEST_OBSERVER, { strict: false });
  } catch {
    return undefined;
  }
}

interface TimedRequest {
  method: string;
  originalUrl?: string;
  url?: string;
  route?: { path?: unknown };
}
interface TimedResponse {
  statusCode: number;
  writableFinished: boolean;
  once(event: 'close', listener: () => void): unknown;
}

/** Time a request from now until its answer went out (or the caller hung up), with its route pattern (once known) and outcome. */
function observeRequest(observer: RequestObserver, nodePrefix: string, req: TimedRequest, res: TimedResponse, route: () => unknown): void {
  const started = performance.now();
  res.once('close', () => {
    observer.observeRequest({
      method: req.method,
      route: routeBelowPrefix(route(), nodePrefix),
      path: routeBelowPrefix((req.originalUrl ?? req.url ?? '').split('?')[0], nodePrefix) ?? '',
      status: res.statusCode,
      error: errorBodyOf(res),
      seconds: (performance.now() - started) / 1000,
      aborted: !res.writableFinished,
    });
  });
}

/** Every request routed by Express, timed (observeRequest). */
function timeRequests(observer: RequestObserver, nodePrefix: string) {
  return (req: TimedRequest, res: TimedResponse, next: () => void): void => {
    observeRequest(observer, nodePrefix, req, res, () => req.route?.path);
    next();
  };
}

/** Offer every request to `serve` before Express sees it; false: Express's. */
function serveFirst(app: INestApplication, serve: (req: IncomingMessage, res: ServerResponse) => boolean): void {
  const server = app.getHttpServer() as Server;
  const express = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!serve(req, res)) for (const listener of express) listener.call(server, req, res);
  });
}

/** Nest's console format, with timestamps written without Intl (see logTimestamp). */
class NodeLogger extends ConsoleLogger {
  protected override getTimestamp(): string {
    return logTimestamp(new Date());
  }
}

/** Create, document and start one DSKE node (hub or client). */
export async function startNodeApp(options: NodeAppOptions): Promise<INestApplication> {
  batchOutput();
  const logger = new NodeLogger({ prefix: `${options.kind}-${options.name}`, colors: Boolean(process.stdout.isTTY) });
  const httpsOptions = options.tls ? { ...options.tls, requestCert: true, rejectUnauthorized: false } : undefined;
  const app = await NestFactory.create<NestExpressApplication>(options.module, { rawBody: true, logger, abortOnError: false, httpsOptions });
  const observer = requestObserverOf(app);
  const nodePrefix = `/${options.kind}/${options.name}`;
  if (observer !== undefined) app.use(timeRequests(observer, nodePrefix));
  // Filled in below from the controllers' routes, before the node listens.
  const routes: { documented?: DocumentedMethods } = {};
  app.use((req: ShapeRequest, res: { setHeader(name: string, value: string): void }, next: (error?: unknown) => void) => next(requestShapeError(req, routes.documented, res)));
  app.use(rejectNonJsonBodies);
  app.useBodyParser('json', { limit: BODY_LIMIT_BYTES });
  // Right after parsing, before anything recursive (the validation pipe) sees the body: too deep, too many keys,
  // prototype names. (Nest's raw-body capture owns the parser's verify hook.)
  app.use((req: { rawBody?: Buffer }, _res: unknown, next: (error?: unknown) => void) => next(req.rawBody === undefined ? undefined : jsonShapeRefusal(req.rawBody)));
  app.disable('x-powered-by');
  app.set('etag', false);
  app.setGlobalPrefix(`${options.kind}/${options.name}`, { exclude: ['healthz', 'readyz', 'metrics', ...(options.rootRoutes ?? [])] });
  const pipe = strictValidationPipe();
  app.useGlobalPipes(pipe);
  const renderers = (options.errorRenderers ?? []).flatMap((r) => [
    { ...r, pathPrefix: `${nodePrefix}/${r.pathPrefix}` },
    ...(r.rootPathPrefix === undefined ? [] : [{ ...r, pathPrefix: `/${r.rootPathPrefix}` }]),
  ]);
  const errors = new ApiErrorFilter(app.get(HttpAdapterHost), renderers);
  app.useGlobalFilters(errors);
  if (options.directRoutes !== undefined && options.directRoutes.length > 0) {
    const direct = new DirectRoutes(app, options.directRoutes, {
      nodePrefix,
      rootPaths: (options.rootRoutes ?? []).map((r) => r.split('/*')[0]),
      bodyLimitBytes: BODY_LIMIT_BYTES,
      pipe,
      shapeError: (req, res) => requestShapeError(req, routes.documented, res),
      refuse: (exception, req, res) => errors.answer(exception, req.url ?? '', res),
      observe: observer === undefined ? undefined : (req, res, route) => observeRequest(observer, nodePrefix, req as TimedRequest, res, route),
    });
    serveFirst(app, (req, res) => direct.serve(req, res));
  }
  app.enableShutdownHooks();

  const title = `DSKE ${options.kind} ${options.name}`;
  const builder = new DocumentBuilder().setTitle(title).setDescription(options.description).setVersion(API_VERSION);
  builder.addBearerAuth({ type: 'http', scheme: 'bearer', description: 'The mgmt token, when the node was started with --mgmt-token' }, 'mgmt');
  if (options.saeBearerAuth) {
    builder.addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Lab mode: the SAE ID of the calling encryptor (not for production)' }, 'sae');
  }
  // Built at the first request for it (about a tenth of a node's start-up CPU otherwise).
  let document: OpenAPIObject | undefined;
  SwaggerModule.setup('docs', app, () => (document ??= SwaggerModule.createDocument(app, builder.build())), { jsonDocumentUrl: 'openapi.json', customSiteTitle: title });
  const redocBundle = findRedocBundle();
  const redocHtml = redocPage(title, redocBundle !== undefined);
  app.getHttpAdapter().get('/redoc', (_req: unknown, res: { type: (t: string) => { send: (b: string) => void } }) => {
    res.type('html').send(redocHtml);
  });
  if (redocBundle) {
    app.getHttpAdapter().get(REDOC_SCRIPT_PATH, (_req: unknown, res: { sendFile: (path: string, options: object) => void }) => {
      // dotfiles: an install below ~/.npm/_npx or node_modules/.pnpm has a dot-directory in the path.
      res.sendFile(redocBundle, { maxAge: '1d', dotfiles: 'allow', headers: { 'Content-Type': 'text/javascript; charset=utf-8' } });
    });
  }

  app.get(NodeLifecycle).attach(app);
  // The routes app.init() adds to Express are the controllers' routes, the ones the OpenAPI document lists.
  const router = (app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } }).router;
  const ours = router.stack.length;
  await app.init();
  routes.documented = DocumentedMethods.fromExpressRoutes(router.stack.slice(ours));
  await app.listen(options.port, options.host);
  if (options.healthPort !== undefined) {
    await startHealthListener(options.healthPort, app.get(NodeLifecycle), app.get(READINESS));
    new Logger('Startup').log(`Health probes on http://127.0.0.1:${options.healthPort}/healthz and /readyz`);
  }
  new Logger('Startup').log(`${title} listening on ${options.tls ? 'https' : 'http'}://${options.host}:${options.port} (docs at /docs)`);
  app.get(NodeLifecycle).collectWhenIdle();
  return app;
}
