/** Base URLs: each node serves everything under /hub/{name} or /client/{name}. */

/** IPv6 literals need brackets inside a URL. */
function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function nodeBaseUrl(kind: 'hub' | 'client', host: string, port: number, name: string): string {
  return `http://${urlHost(host)}:${port}/${kind}/${encodeURIComponent(name)}`;
}

export function hubBaseUrl(host: string, port: number, hubName: string): string {
  return nodeBaseUrl('hub', host, port, hubName);
}

export function clientBaseUrl(host: string, port: number, clientName: string): string {
  return nodeBaseUrl('client', host, port, clientName);
}
