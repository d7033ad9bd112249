import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ArgumentMetadata, INestApplication, PipeTransform, Type } from '@nestjs/common';
import {
  CUSTOM_ROUTE_ARGS_METADATA, EXCEPTION_FILTERS_METADATA, GUARDS_METADATA, HTTP_CODE_METADATA, INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA, PIPES_METADATA,
  RESPONSE_PASSTHROUGH_METADATA, ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants';
import { BadRequestException, ForbiddenException, RequestMethod, type CanActivate } from '@nestjs/common';
import { isObservable, lastValueFrom } from 'rxjs';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { ApiError } from './api-error';
import { jsonShapeRefusal } from './json-shape';

/**
 * The in-band hot path (a hub's key-share messages, a client's ETSI key
 * requests) without Express's router and middleware chain and without
 * Nest's per-request execution context: a request for one of these routes
 * that looks ordinary (JSON body of a stated length within the limit, or no
 * body) is read here and handed to the same controller method, with its
 * arguments built from the same decorators (@Body, @Query, @Param, @Res and
 * custom ones such as @Raw), behind the same guards, checked by the same validation pipe. What it
 * answers and how it refuses are the node's own (the one error renderer,
 * the one request observer). Anything else, and every other route, goes to
 * Express as before; so a request gets the same answer either way, only
 * with a tenth of the framework layers.
 */

/** One controller method to serve directly; everything else about it is read from its decorators. */
export interface DirectRouteSpec {
  controller: Type<unknown>;
  method: string;
}

export interface DirectRouteOptions {
  /** '/hub/hank': where the node's routes are mounted, except `rootPaths`. */
  nodePrefix: string;
  /** Controller paths served at the root (outside nodePrefix), e.g. 'api/v1/keys'. */
  rootPaths: readonly string[];
  bodyLimitBytes: number;
  /** The global validation pipe. */
  pipe: PipeTransform;
  /** Before anything is read: a refusal the request's shape earns (a forbidden query name...), as the Express chain gives it. */
  shapeError(req: { method: string; path: string; url: string }, res: ServerResponse): ApiError | undefined;
  /** Answer a refusal exactly as the exception filter does. */
  refuse(exception: unknown, req: IncomingMessage, res: ServerResponse): void;
  /**
   * The node's request accounting (timed from now until the answer went out or the caller hung up), with the
   * route's pattern once routed: undefined for what Express refuses before routing (the body's or query's shape).
   */
  observe?(req: IncomingMessage, res: ServerResponse, route: () => string | undefined): void;
}

type Handler = (...args: unknown[]) => unknown;

interface ArgumentSource {
  index: number;
  build(call: DirectCall): unknown;
  /** Validated by the pipe as this type (body, query, param). */
  metadata?: ArgumentMetadata;
}

interface DirectCall {
  req: IncomingMessage & { body?: unknown; query?: unknown; params?: Record<string, string>; rawBody?: Buffer };
  res: ServerResponse;
  context: ExecutionContextHost;
}

interface CompiledRoute {
  method: 'GET' | 'POST';
  /** Path segments; ':name' captures one. */
  segments: Array<{ literal: string } | { param: string }>;
  /** The pattern as Express shows it in req.route.path. */
  pattern: string;
  status: number;
  controller: Type<unknown>;
  handler: Handler;
  instance: unknown;
  /** The controller's guards, then the method's, as Nest runs them: after routing, before the arguments are built. */
  guards: CanActivate[];
  args: ArgumentSource[];
}

const joinPath = (...parts: string[]) => `/${parts.flatMap((p) => p.split('/')).filter(Boolean).join('/')}`;

function single(value: unknown): string {
  const v = Array.isArray(value) ? value[0] : value;
  if (typeof v !== 'string') throw new Error(`direct routes: path metadata ${String(value)} is not a string`);
  return v;
}

/** Read one controller method's route from its decorators; throws for what this does not serve like Nest would. */
function compile(app: INestApplication, spec: DirectRouteSpec, options: DirectRouteOptions): CompiledRoute {
  const { controller, method } = spec;
  const handler = (controller.prototype as Record<string, Handler>)[method];
  if (typeof handler !== 'function') throw new Error(`direct routes: ${controller.name}.${method} is not a method`);
  for (const key of [INTERCEPTORS_METADATA, PIPES_METADATA, EXCEPTION_FILTERS_METADATA]) {
    const own = [Reflect.getMetadata(key, handler), Reflect.getMetadata(key, controller)].flat().filter(Boolean);
    if (own.length > 0) throw new Error(`direct routes: ${controller.name}.${method} has ${key}, which direct routes do not run`);
  }
  const guards = [Reflect.getMetadata(GUARDS_METADATA, controller), Reflect.getMetadata(GUARDS_METADATA, handler)]
    .flat()
    .filter(Boolean)
    .map((guard: Type<CanActivate> | CanActivate) => (typeof guard === 'function' ? app.get(guard, { strict: false }) : guard));
  const verb = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod;
  if (verb !== RequestMethod.GET && verb !== RequestMethod.POST) throw new Error(`direct routes: ${controller.name}.${method} is neither GET nor POST`);
  const controllerPath = single(Reflect.getMetadata(PATH_METADATA, controller));
  const pattern = options.rootPaths.includes(controllerPath)
    ? joinPath(controllerPath, single(Reflect.getMetadata(PATH_METADATA, handler)))
    : joinPath(options.nodePrefix, controllerPath, single(Reflect.getMetadata(PATH_METADATA, handler)));
  const types = (Reflect.getMetadata('design:paramtypes', controller.prototype, method) ?? []) as Array<Type<unknown> | undefined>;
  const declared = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<string, { index: number; data?: unknown; pipes?: unknown[]; factory?: (data: unknown, ctx: unknown) => unknown }>;
  const args: ArgumentSource[] = Object.entries(declared).map(([key, arg]) => {
    if ((arg.pipes?.length ?? 0) > 0) throw new Error(`direct routes: ${controller.name}.${method} has parameter pipes`);
    if (key.includes(CUSTOM_ROUTE_ARGS_METADATA)) {
      const factory = arg.factory!;
      return { index: arg.index, build: (call) => factory(arg.data, call.context) };
    }
    const kind = Number(key.split(':')[0]) as RouteParamtypes;
    const typed = (type: ArgumentMetadata['type'], pick: (call: DirectCall) => unknown): ArgumentSource => {
      if (arg.data !== undefined) throw new Error(`direct routes: ${controller.name}.${method} picks a single ${type} field`);
      return { index: arg.index, build: pick, metadata: { type, metatype: types[arg.index], data: undefined } };
    };
    switch (kind) {
      case RouteParamtypes.BODY:
        return typed('body', (call) => call.req.body);
      case RouteParamtypes.QUERY:
        return typed('query', (call) => call.req.query);
      case RouteParamtypes.PARAM:
        return typed('param', (call) => call.req.params);
      case RouteParamtypes.RESPONSE:
        if (Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, controller, method) !== true) throw new Error(`direct routes: ${controller.name}.${method} writes the response itself`);
        return { index: arg.index, build: (call) => call.res };
      default:
        throw new Error(`direct routes: ${controller.name}.${method} takes a parameter kind ${kind} that direct routes do not build`);
    }
  });
  return {
    method: verb === RequestMethod.GET ? 'GET' : 'POST',
    segments: pattern.split('/').slice(1).map((s) => (s.startsWith(':') ? { param: s.slice(1) } : { literal: s })),
    pattern,
    status: (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? (verb === RequestMethod.POST ? 201 : 200),
    controller,
    handler,
    instance: app.get(controller, { strict: false }),
    guards,
    args: args.sort((a, b) => a.index - b.index),
  };
}

/** The route's params if `path` is its pattern, exactly (case and all); undefined otherwise. */
function match(route: CompiledRoute, path: string): Record<string, string> | undefined {
  const parts = path.split('/');
  if (parts[0] !== '' || parts.length !== route.segments.length + 1) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const segment = route.segments[i];
    const part = parts[i + 1];
    if ('literal' in segment) {
      if (part !== segment.literal) return undefined;
    } else {
      if (part === '') return undefined;
      try {
        params[segment.param] = decodeURIComponent(part);
      } catch {
        return undefined; // Express's own 400 for a malformed escape
      }
    }
  }
  return params;
}

/** A JSON body of a stated length, uncompressed, in UTF-8: what the direct path reads; anything else goes to Express. */
function ordinaryBody(req: IncomingMessage, method: 'GET' | 'POST', limit: number): number | undefined {
  const headers = req.headers;
  if (headers['transfer-encoding'] !== undefined || headers['content-encoding'] !== undefined) return undefined;
  const length = headers['content-length'] === undefined ? 0 : Number(headers['content-length']);
  if (!Number.isSafeInteger(length) || length < 0 || length > limit) return undefined;
  if (method === 'GET') return length === 0 ? 0 : undefined;
  if (length === 0) return undefined;
  const [type, ...params] = String(headers['content-type'] ?? '').split(';');
  if (type.trim().toLowerCase() !== 'application/json') return undefined;
  const charset = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('charset='));
  if (charset !== undefined && charset !== 'charset=utf-8') return undefined;
  return length;
}

function readBody(req: IncomingMessage, length: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      chunks.push(chunk);
    });
    req.once('end', () => resolve(received === length ? Buffer.concat(chunks, received) : undefined));
    req.once('error', () => resolve(undefined));
    req.once('aborted', () => resolve(undefined));
  });
}

/** body-parser's strict JSON: an object or an array, else the same 400 it gives. */
function parseJson(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  const first = /^[\x20\x09\x0a\x0d]*(.)/.exec(text)?.[1];
  try {
    if (first !== '{' && first !== '[') throw new SyntaxError(`Unexpected token '${first ?? ''}', "${text.slice(0, 10)}" is not valid JSON`);
    return JSON.parse(text);
  } catch (error) {
    // As Nest answers body-parser's error.
    throw new BadRequestException((error as Error).message);
  }
}

export class DirectRoutes {
  private readonly routes: CompiledRoute[];
  private readonly queryParser: (query: string) => unknown;

  constructor(
    app: INestApplication,
    specs: readonly DirectRouteSpec[],
    private readonly options: DirectRouteOptions,
  ) {
    this.routes = specs.map((spec) => compile(app, spec, options));
    const express = app.getHttpAdapter().getInstance() as { get(setting: string): unknown };
    this.queryParser = express.get('query parser fn') as (query: string) => unknown;
  }

  /** Serve `req` if it is one of ours and ordinary; false: Express's. */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    for (const route of this.routes) {
      if (route.method !== req.method) continue;
      const params = match(route, path);
      if (params === undefined) continue;
      const length = ordinaryBody(req, route.method, this.options.bodyLimitBytes);
      if (length === undefined) return false;
      // Whatever goes wrong past the refusal (the answer could not be written) ends this connection, never the node.
      this.run(route, req, res, params, path, q < 0 ? '' : url.slice(q + 1), length).catch(() => res.destroy());
      return true;
    }
    return false;
  }

  private async run(route: CompiledRoute, req: DirectCall['req'], res: ServerResponse, params: Record<string, string>, path: string, query: string, length: number): Promise<void> {
    let routed = false;
    this.options.observe?.(req, res, () => (routed ? route.pattern : undefined));
    try {
      const shape = this.options.shapeError({ method: req.method ?? '', path, url: req.url ?? '' }, res);
      if (shape !== undefined) throw shape;
      if (length > 0) {
        const raw = await readBody(req, length);
        if (raw === undefined) return void res.destroy();
        // As Nest keeps it (rawBody: true): what signatures are checked against.
        req.rawBody = raw;
        req.body = parseJson(raw);
        const refusal = jsonShapeRefusal(raw);
        if (refusal !== undefined) throw refusal;
      }
      routed = true;
      req.query = this.queryParser(query);
      req.params = params;
      const call: DirectCall = { req, res, context: new ExecutionContextHost([req, res, undefined], route.controller, route.handler) };
      for (const guard of route.guards) {
        const allowed = guard.canActivate(call.context);
        // Nest's own refusal when a guard says no without throwing.
        if (!(await (isObservable(allowed) ? lastValueFrom(allowed) : allowed))) throw new ForbiddenException('Forbidden resource');
      }
      const args: unknown[] = [];
      for (const a of route.args) args[a.index] = a.metadata === undefined ? a.build(call) : await this.options.pipe.transform(a.build(call), a.metadata);
      // As Nest does: the route's status first, so that the handler may change it.
      res.statusCode = route.status;
      const result = await route.handler.apply(route.instance, args);
      if (res.headersSent || res.destroyed) return;
      const text = typeof result === 'string' ? result : JSON.stringify(result);
      if (!res.hasHeader('content-type')) res.setHeader('Content-Type', typeof result === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(text));
      res.end(text);
    } catch (error) {
      if (res.headersSent || res.destroyed) return;
      this.options.refuse(error, req, res);
    }
  }
}
