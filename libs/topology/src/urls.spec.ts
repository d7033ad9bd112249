import { describe, expect, it } from 'vitest';
import { clientBaseUrl, hubBaseUrl } from './index';

describe('base URLs', () => {
  it('puts hubs under /hub/{name} and clients under /client/{name}', () => {
    expect(hubBaseUrl('127.0.0.1', 8100, 'hank')).toBe('http://127.0.0.1:8100/hub/hank');
    expect(clientBaseUrl('127.0.0.1', 8105, 'carol')).toBe('http://127.0.0.1:8105/client/carol');
    expect(hubBaseUrl('hank', 8100, 'hank')).toBe('http://hank:8100/hub/hank');
  });

  it('brackets IPv6 literals', () => {
    expect(hubBaseUrl('::1', 8100, 'hank')).toBe('http://[::1]:8100/hub/hank');
    expect(clientBaseUrl('[::1]', 8105, 'carol')).toBe('http://[::1]:8105/client/carol');
  });
});
