import 'reflect-metadata';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Body, CanActivate, Controller, createParamDecorator, ExecutionContext, Get, HttpCode, Inject, Injectable, INestApplication, Module, Param, Post, Query, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ApiError } from './api-error';
import { startNodeApp } from './bootstrap';
import { NodeLifecycle } from './node-lifecycle';
import { REQUEST_OBSERVER, requestOutcome, type CompletedRequest, type RequestObserver } from './request-metrics';
import { DirectRoutes } from './direct-routes';

class ItemDto {
  @ApiProperty({ type: String }) @IsString() @Matches(/^[a-z]{1,8}$/) name!: string;
  @ApiProperty({ type: Number }) @IsInt() @Min(0) @Max(9) count!: number;
}

class LookupQueryDto {
  @ApiProperty({ type: String }) @IsString() @Matches(/^[a-z]{1,8}$/) name!: string;
  @ApiProperty({ type: String, required: false }) @IsOptional() @IsIn(['a', 'b']) kind?: string;
}

class NameParamDto {
  @ApiProperty({ type: String }) @IsString() @Matches(/^[a-z]{1,8}$/) name!: string;
}

/** Whether Express routed the request (it sets req.route; the direct routes do not); the same length, so that answers compare. */
const RoutedBy = createParamDecorator((_data: unknown, ctx: ExecutionContext) => (ctx.switchToHttp().getRequest<{ route?: unknown }>().route === undefined ? 'direct' : 'router'));

@Controller('things')
class ThingsController {
  @Post(':name')
  @HttpCode(200)
  store(@Param() params: NameParamDto, @Body() body: ItemDto, @RoutedBy() via: string, @Res({ passthrough: true }) res: { setHeader(n: string, v: string): void }): object {
    if (body.count === 7) throw new ApiError(409, 'things.seven', 'seven is taken', [{ message: 'seven' }]);
    if (body.count === 8) throw new Error('a bug');
    res.setHeader('X-Thing', params.name);
    return { stored: params.name, item: body, via };
  }

  @Get('search/by-name')
  lookup(@Query() query: LookupQueryDto, @RoutedBy() via: string): Promise<string> {
    return Promise.resolve(JSON.stringify({ found: query.name, kind: query.kind ?? null, via }));
  }

  @Post('created')
  created(@Body() body: ItemDto, @RoutedBy() via: string): object {
    return { created: body.name, via };
  }
}

/** As the hub's oob guard does: reads the routed request's query and body, and refuses with an ApiError. */
@Injectable()
class NamedCallerGuard implements CanActivate {
  constructor(@Inject('DENIED') private readonly denied: string) {}
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ query?: { name?: string }; body?: { name?: string } }>();
    for (const named of [req.query?.name, req.body?.name]) if (named === this.denied) throw new ApiError(403, 'caller.denied', `${named} may not call`);
    return true;
  }
}

/** Says no without throwing (Nest answers 403 Forbidden resource); runs after the controller's guard. */
class NotFiveGuard implements CanActivate {
  canActivate(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(context.switchToHttp().getRequest<{ body?: { count?: number } }>().body?.count !== 5);
  }
}

@Controller('guarded')
@UseGuards(NamedCallerGuard)
class GuardedController {
  @Post('items')
  @HttpCode(200)
  @UseGuards(new NotFiveGuard())
  store(@Body() body: ItemDto, @RoutedBy() via: string): object {
    return { stored: body.name, via };
  }

  @Get('items')
  lookup(@Query() query: LookupQueryDto, @RoutedBy() via: string): object {
    return { found: query.name, via };
  }
}

// Vitest's compiler emits no decorator metadata: the parameter types the validation pipe needs, as tsc would emit them.
Reflect.defineMetadata('design:paramtypes', [NameParamDto, ItemDto, String, Object], ThingsController.prototype, 'store');
Reflect.defineMetadata('design:paramtypes', [LookupQueryDto, String], ThingsController.prototype, 'lookup');
Reflect.defineMetadata('design:paramtypes', [ItemDto, String], ThingsController.prototype, 'created');
Reflect.defineMetadata('design:paramtypes', [ItemDto, String], GuardedController.prototype, 'store');
Reflect.defineMetadata('design:paramtypes', [LookupQueryDto, String], GuardedController.prototype, 'lookup');
Reflect.defineMetadata('design:paramtypes', [String], NamedCallerGuard);

class Recorder implements RequestObserver {
  readonly seen: string[] = [];
  observeRequest(done: CompletedRequest): void {
    this.seen.push(`${done.method} ${done.route} ${done.status} ${requestOutcome(done)}`);
  }
}

function moduleFor(recorder: Recorder) {
  @Module({ controllers: [ThingsController, GuardedController], providers: [NodeLifecycle, { provide: REQUEST_OBSERVER, useValue: recorder }, { provide: 'DENIED', useValue: 'eve' }] })
  class ThingsModule {}
  return ThingsModule;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with exactly these headers and body bytes. */
function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer[]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (Array.isArray(body)) for (const chunk of body) req.write(chunk);
    else if (body !== undefined) req.write(body);
    req.end();
  });
}

const json = { 'content-type': 'application/json' };
const sized = (text: string, extra: Record<string, string> = {}) => ({ ...json, 'content-length': String(Buffer.byteLength(text)), ...extra });

// Every case once through each node; the answers must be the same bytes but for who routed it.
const CASES: Array<[string, string, string, Record<string, string>, (string | Buffer[])?]> = [
  ['a valid body', 'POST', '/hub/h1/things/abc', sized('{"name":"x","count":1}'), '{"name":"x","count":1}'],
  ['a body failing its DTO', 'POST', '/hub/h1/things/abc', sized('{"name":"X","count":10}'), '{"name":"X","count":10}'],
  ['an unknown field', 'POST', '/hub/h1/things/abc', sized('{"name":"x","count":1,"extra":1}'), '{"name":"x","count":1,"extra":1}'],
  ['a param failing its DTO', 'POST', '/hub/h1/things/ABC', sized('{"name":"x","count":1}'), '{"name":"x","count":1}'],
  ['a thrown ApiError', 'POST', '/hub/h1/things/abc', sized('{"name":"x","count":7}'), '{"name":"x","count":7}'],
  ['a bug in the handler', 'POST', '/hub/h1/things/abc', sized('{"name":"x","count":8}'), '{"name":"x","count":8}'],
  ['malformed JSON', 'POST', '/hub/h1/things/abc', sized('{"name":'), '{"name":'],
  ['JSON that is a string', 'POST', '/hub/h1/things/abc', sized('"x"'), '"x"'],
  ['a prototype name in the body', 'POST', '/hub/h1/things/abc', sized('{"__proto__":{"a":1},"name":"x","count":1}'), '{"__proto__":{"a":1},"name":"x","count":1}'],
  ['a text body', 'POST', '/hub/h1/things/abc', { 'content-type': 'text/plain', 'content-length': '3' }, 'abc'],
  ['a chunked body', 'POST', '/hub/h1/things/abc', { ...json, 'transfer-encoding': 'chunked' }, [Buffer.from('{"name":"x",'), Buffer.from('"count":2}')]],
  ['a body over the limit', 'POST', '/hub/h1/things/abc', sized(`{"name":"${'a'.repeat(3 * 1024 * 1024)}"}`), `{"name":"${'a'.repeat(3 * 1024 * 1024)}"}`],
  ['a Latin-1 charset', 'POST', '/hub/h1/things/abc', sized('{"name":"x","count":1}', { 'content-type': 'application/json; charset=latin1' }), '{"name":"x","count":1}'],
  ['no body', 'POST', '/hub/h1/things/abc', { ...json, 'content-length': '0' }],
  ['a path in upper case', 'POST', '/hub/h1/THINGS/abc', sized('{"name":"x","count":1}'), '{"name":"x","count":1}'],
  ['a trailing slash', 'POST', '/hub/h1/things/abc/', sized('{"name":"x","count":1}'), '{"name":"x","count":1}'],
  ['a malformed escape in a param', 'POST', '/hub/h1/things/%E0%A4%A', sized('{"name":"x","count":1}'), '{"name":"x","count":1}'],
  ['an escaped param', 'POST', '/hub/h1/things/%61bc', sized('{"name":"x","count":1}'), '{"name":"x","count":1}'],
  ['the default status of a POST', 'POST', '/hub/h1/things/created', sized('{"name":"x","count":1}'), '{"name":"x","count":1}'],
  ['a valid query', 'GET', '/hub/h1/things/search/by-name?name=abc&kind=b', {}],
  ['a query failing its DTO', 'GET', '/hub/h1/things/search/by-name?name=abc&kind=c', {}],
  ['a repeated query name', 'GET', '/hub/h1/things/search/by-name?name=abc&name=def', {}],
  ['an unknown query name', 'GET', '/hub/h1/things/search/by-name?name=abc&other=1', {}],
  ['a prototype name in the query', 'GET', '/hub/h1/things/search/by-name?name=abc&__proto__=1', {}],
  ['a GET with a body', 'GET', '/hub/h1/things/search/by-name?name=abc', sized('{}'), '{}'],
  ['HEAD on a GET route', 'HEAD', '/hub/h1/things/search/by-name?name=abc', {}],
  ['a body its guards let through', 'POST', '/hub/h1/guarded/items', sized('{"name":"x","count":1}'), '{"name":"x","count":1}'],
  ['a body a guard refuses with an error', 'POST', '/hub/h1/guarded/items', sized('{"name":"eve","count":1}'), '{"name":"eve","count":1}'],
  ['a body the method guard says no to', 'POST', '/hub/h1/guarded/items', sized('{"name":"x","count":5}'), '{"name":"x","count":5}'],
  ['a body both guards refuse (the controller one runs first)', 'POST', '/hub/h1/guarded/items', sized('{"name":"eve","count":5}'), '{"name":"eve","count":5}'],
  ['a guarded body failing its DTO (guards run first)', 'POST', '/hub/h1/guarded/items', sized('{"name":"eve","count":10}'), '{"name":"eve","count":10}'],
  ['a query its guard lets through', 'GET', '/hub/h1/guarded/items?name=abc', {}],
  ['a query its guard refuses', 'GET', '/hub/h1/guarded/items?name=eve', {}],
];

// Some cases never reach the direct path; the others must have been served by it.
const EXPRESS_ONLY = new Set(['a text body', 'a chunked body', 'a body over the limit', 'a Latin-1 charset', 'no body', 'a path in upper case', 'a trailing slash', 'a malformed escape in a param', 'a GET with a body', 'HEAD on a GET route']);

describe('DirectRoutes: the same answers as Express and Nest give, without them', () => {
  const express = { recorder: new Recorder() } as { recorder: Recorder; app?: INestApplication; port?: number };
  const direct = { recorder: new Recorder() } as { recorder: Recorder; app?: INestApplication; port?: number };

  beforeAll(async () => {
    const served = [...['store', 'lookup', 'created'].map((method) => ({ controller: ThingsController, method })), ...['store', 'lookup'].map((method) => ({ controller: GuardedController, method }))];
    for (const [node, routes] of [[express, undefined], [direct, served]] as const) {
      node.app = await startNodeApp({ module: moduleFor(node.recorder), kind: 'hub', name: 'h1', host: '127.0.0.1', port: 0, description: 'test', directRoutes: routes ? [...routes] : undefined });
      node.port = (node.app.getHttpServer().address() as AddressInfo).port;
    }
  });
  afterAll(async () => {
    await express.app?.close();
    await direct.app?.close();
  });

  it.each(CASES)('%s', async (name, method, path, headers, body) => {
    const viaExpress = await send(express.port!, method, path, headers, body);
    const viaDirect = await send(direct.port!, method, path, headers, body);
    const comparable = (a: Answer) => ({ status: a.status, headers: { ...a.headers, date: undefined }, body: a.body.replace('"via":"direct"', '"via":"router"') });
    expect(comparable(viaDirect)).toEqual(comparable(viaExpress));
    expect(viaExpress.body).not.toContain('"via":"direct"');
    if (viaDirect.status < 300 && !EXPRESS_ONLY.has(name)) expect(viaDirect.body).toContain('"via":"direct"');
    // Both nodes account for the request alike (route pattern, status, outcome), once it was answered.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(direct.recorder.seen.at(-1)).toBe(express.recorder.seen.at(-1));
  });

  it('the answers were given: a valid body is stored, with the handler\'s own header', async () => {
    const answer = await send(direct.port!, 'POST', '/hub/h1/things/abc', sized('{"name":"x","count":1}'), '{"name":"x","count":1}');
    expect(answer.status).toBe(200);
    expect(answer.headers['x-thing']).toBe('abc');
    expect(JSON.parse(answer.body)).toEqual({ stored: 'abc', item: { name: 'x', count: 1 }, via: 'direct' });
  });

  it('refuses, at start, a route it would not serve as Nest does (an interceptor)', () => {
    @Controller('intercepted')
    class InterceptedController {
      @Get('x')
      @UseInterceptors({ intercept: (_context: ExecutionContext, next: { handle(): unknown }) => next.handle() } as never)
      x(): string {
        return 'x';
      }
    }
    expect(() => new DirectRoutes(direct.app!, [{ controller: InterceptedController, method: 'x' }], undefined as never)).toThrow('InterceptedController.x has __interceptors__');
  });
});
