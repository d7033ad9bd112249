/** Base URLs: each node serves everything under /hub/{name} or /client/{name}. */

/** IPv6 literals need brackets inside a URL. */
function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function nodeBaseUrl(kind: 'hub' | 'client', host: string, port: number, name: string, scheme: 'http' | 'https' = 'http'): string {
  return `${scheme}://${urlHost(host)}:${port}/${kind}/${encodeURIComponent(name)}`;
}

/** https for hubs that serve TLS (a secure deployment), whose oob API asks for the client's certificate. */
export function hubBaseUrl(host: string, port: number, hubName: string, scheme: 'http' | 'https' = 'http'): string {
  return nodeBaseUrl('hub', host, port, hubName, scheme);
}

export function clientBaseUrl(host: string, port: number, clientName: string): string {
  return nodeBaseUrl('client', host, port, clientName);
}
