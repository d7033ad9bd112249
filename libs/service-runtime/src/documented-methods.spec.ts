import { describe, expect, it } from 'vitest';
import { DocumentedMethods } from './documented-methods';

describe('DocumentedMethods', () => {
  const methods = new DocumentedMethods({
    '/client/carol/etsi/api/v1/keys/{slave_SAE_ID}/enc_keys': { get: {}, post: {} },
    '/client/carol/mgmt/v1/stop': { post: {} },
    '/readyz': { get: {} },
  });

  it('allows what the document lists', () => {
    expect(methods.refused('GET', '/client/carol/etsi/api/v1/keys/sunny/enc_keys')).toBeUndefined();
    expect(methods.refused('POST', '/client/carol/mgmt/v1/stop')).toBeUndefined();
  });

  it('refuses HEAD and every other method on a documented path, naming the allowed ones', () => {
    expect(methods.refused('HEAD', '/client/carol/etsi/api/v1/keys/sunny/enc_keys')).toEqual(['GET', 'POST']);
    expect(methods.refused('PUT', '/client/carol/etsi/api/v1/keys/sunny/enc_keys')).toEqual(['GET', 'POST']);
    expect(methods.refused('GET', '/client/carol/mgmt/v1/stop')).toEqual(['POST']);
    expect(methods.refused('DELETE', '/readyz')).toEqual(['GET']);
  });

  it('a documented path in other letter case or with a trailing slash is a variant, not the path', () => {
    expect(methods.isVariant('/client/carol/mgmt/v1/STOP')).toBe(true);
    expect(methods.isVariant('/client/carol/mgmt/v1/stop/')).toBe(true);
    expect(methods.isVariant('/Client/carol/etsi/api/v1/keys/sunny/enc_keys')).toBe(true);
    expect(methods.isVariant('/client/carol/mgmt/v1/stop')).toBe(false);
    expect(methods.isVariant('/client/carol/etsi/api/v1/keys/SUNNY/enc_keys')).toBe(false);
    expect(methods.isVariant('/docs/')).toBe(false);
  });

  it('a parameter is one whole segment; other paths are not its business, but HEAD is refused everywhere', () => {
    expect(methods.refused('PUT', '/client/carol/etsi/api/v1/keys/a/b/enc_keys')).toBeUndefined();
    expect(methods.refused('PUT', '/client/carol/etsi/api/v1/keys//enc_keys')).toBeUndefined();
    expect(methods.refused('GET', '/docs')).toBeUndefined();
    expect(methods.refused('HEAD', '/docs')).toEqual([]);
  });

  it('a literal path beside a parameter template has the methods of both', () => {
    const overlapping = new DocumentedMethods({ '/x/{name}': { post: {} }, '/x/lookup': { get: {} } });
    expect(overlapping.refused('GET', '/x/lookup')).toBeUndefined();
    expect(overlapping.refused('POST', '/x/lookup')).toBeUndefined();
    expect(overlapping.refused('PUT', '/x/lookup')).toEqual(['GET', 'POST']);
    expect(overlapping.refused('GET', '/x/other')).toEqual(['POST']);
  });

  it('from Express router layers: route paths with :name parameters become templates; layers without a route are not paths', () => {
    const fromRoutes = DocumentedMethods.fromExpressRoutes([
      {},
      { route: { path: '/client/carol/etsi/api/v1/keys/:slave_SAE_ID/enc_keys', methods: { get: true } } },
      { route: { path: '/client/carol/etsi/api/v1/keys/:slave_SAE_ID/enc_keys', methods: { post: true } } },
      { route: { path: '/client/carol/mgmt/v1/stop', methods: { post: true, _all: true } } },
      { route: { path: ['/a', '/b'], methods: { get: true } } },
    ]);
    expect(fromRoutes.refused('PUT', '/client/carol/etsi/api/v1/keys/sunny/enc_keys')).toEqual(['GET', 'POST']);
    expect(fromRoutes.refused('GET', '/client/carol/mgmt/v1/stop')).toEqual(['POST']);
    expect(fromRoutes.refused('DELETE', '/a')).toBeUndefined();
    expect(fromRoutes.isVariant('/client/carol/mgmt/v1/STOP')).toBe(true);
  });
});
