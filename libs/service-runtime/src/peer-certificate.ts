/** What the TLS layer says about the certificate a caller presented (adapter-neutral, no Express types). */
export interface PeerCertificate {
  /** Chains to the node's CA. */
  authorized: boolean;
  /** Why not authorized (no certificate, another CA...). */
  error?: string;
  commonName?: string;
  /** Subject OU: what kind of party the CA issued it to. */
  organizationalUnit?: string;
  dnsNames: string[];
}

interface TlsSocketLike {
  encrypted?: boolean;
  authorized?: boolean;
  authorizationError?: Error | string;
  getPeerCertificate?: () => { subject?: { CN?: string | string[]; OU?: string | string[] }; subjectaltname?: string } | null;
}

/** The caller's certificate on an HTTPS connection; undefined on plain HTTP. */
export function peerCertificate(socket: TlsSocketLike | undefined): PeerCertificate | undefined {
  if (!socket?.encrypted) return undefined;
  const peer = socket.getPeerCertificate?.() ?? null;
  const presented = Boolean(peer && Object.keys(peer).length > 0);
  const cn = peer?.subject?.CN;
  const ou = peer?.subject?.OU;
  const dnsNames = (peer?.subjectaltname ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4));
  return {
    authorized: socket.authorized === true,
    error: !presented ? 'no client certificate sent' : socket.authorizationError ? String(socket.authorizationError) : undefined,
    commonName: Array.isArray(cn) ? cn[0] : cn,
    organizationalUnit: Array.isArray(ou) ? ou[0] : ou,
    dnsNames,
  };
}
