// What the gateway records about the request behind a write or a session's
// use: the client's address, its user agent, and an id to find the request by
// in audit rows and logs. Worked out once per request (src/context.ts).
import { BlockList, isIP } from 'node:net';
import { requestIdOf } from '../observability/request-id.js';

export interface RequestInfo {
  /** The client's IP address; null when it is not known (no socket, as in tests through `yoga.fetch`). */
  ip: string | null;
  /** The User-Agent header, or '' (Coder records '' too). */
  userAgent: string;
  /** The client's `X-Request-Id` when it is a UUID, else a new one; lower-case. */
  requestId: string;
}

/**
 * Which peers may say who the client is, and in which headers: Coder's
 * --proxy-trusted-origins and --proxy-trusted-headers. A header from any
 * other peer is ignored, so a client cannot choose the address recorded.
 */
export interface ProxyTrust {
  origins: BlockList;
  headers: string[];
}

export function proxyTrust(origins: readonly string[], headers: readonly string[]): ProxyTrust {
  const list = new BlockList();
  for (const origin of origins) {
    const [address = '', prefix] = origin.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(address, prefix === undefined ? (family === 'ipv6' ? 128 : 32) : Number(prefix), family);
  }
  return { origins: list, headers: [...headers] };
}

/**
 * The request's facts. `remoteAddress` is the socket's peer; the address of
 * a trusted proxy's header replaces it, as in Coder's httpmw.ExtractRealIP
 * (the first address of the first trusted header that has one).
 */
export function requestInfo(request: Request, remoteAddress: string | undefined, trust?: ProxyTrust): RequestInfo {
  let ip = parseAddress(remoteAddress);
  if (ip && trust?.headers.length && trust.origins.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4')) {
    for (const header of trust.headers) {
      const forwarded = parseAddress(request.headers.get(header)?.split(',')[0]);
      if (forwarded) {
        ip = forwarded;
        break;
      }
    }
  }
  return { ip, userAgent: headerText(request.headers.get('user-agent') ?? ''), requestId: requestIdOf(request) };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A header's text as its client wrote it: Node reads header bytes one character each (latin1), so a UTF-8
 * `probé/1` arrives as `probÃ©/1`. Coder stores the header's bytes, which PostgreSQL reads as UTF-8. Bytes that are
 * not UTF-8 stay as Node read them.
 */
function headerText(value: string): string {
  if (!/[\x80-\xff]/.test(value) || /[\u0100-\uffff]/.test(value)) return value;
  try {
    return utf8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}

/**
 * An address as PostgreSQL's inet takes it, or null: a port (`1.2.3.4:80`,
 * `[::1]:80`) and an IPv6 zone are dropped, and an IPv4-mapped IPv6 address
 * is the IPv4 address it maps, as Go (and so Coder) reads it.
 */
export function parseAddress(value: string | null | undefined): string | null {
  let address = value?.trim() ?? '';
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else if (/^[^:]+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  address = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) address = mapped[1]!;
  return isIP(address) ? address.toLowerCase() : null;
}
