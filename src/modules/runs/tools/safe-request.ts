import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { isPrivateAddress } from '../../../shared/net/private-address';

/** One resolved address of a host name, as `dns.lookup(host, {all: true})` gives them. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to all its addresses; tests pass their own to simulate DNS answers. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

export interface SafeRequestOptions {
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxResponseBytes: number;
  /** The caller's signal (a cancelled run); the request stops when it aborts. */
  signal: AbortSignal;
  /** Host names that may resolve to private addresses (settings `HTTP_TOOL_ALLOW_HOSTS`). */
  allowHosts: readonly string[];
  resolve?: Resolver;
}

export interface SafeResponse {
  status: number;
  body: string;
  /** The address the connection went to: always one that was resolved and checked. */
  address: string;
}

export type SafeRequestFailure = 'refused' | 'timeout' | 'too_large' | 'failed';

/** Why an outbound request did not give a usable answer; the message is written for the model and logs. */
export class SafeRequestError extends Error {
  constructor(
    readonly reason: SafeRequestFailure,
    message: string,
  ) {
    super(message);
  }
}

/** The address to connect to: resolved once, every address checked, the first one used. */
export async function resolveChecked(
  hostname: string,
  allowHosts: readonly string[],
  resolve: Resolver = systemResolver,
): Promise<ResolvedAddress> {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const family = isIP(host);
  const addresses = family
    ? [{ address: host, family }]
    : await resolve(host).catch(() => {
        throw new SafeRequestError('failed', `cannot resolve ${host}`);
      });
  if (addresses.length === 0) throw new SafeRequestError('failed', `cannot resolve ${host}`);
  // Every address is checked, not just the one used: a name is refused if any of its answers is private.
  if (!allowHosts.includes(host) && addresses.some((a) => isPrivateAddress(a.address))) {
    throw new SafeRequestError(
      'refused',
      `${host} resolves to a private address; allow-list it in HTTP_TOOL_ALLOW_HOSTS`,
    );
  }
  return addresses[0];
}

/**
 * The node:http(s) options that connect to `address` (an IP literal) while speaking to `url`'s
 * host: `Host` is the URL's host, and for https the TLS server name (SNI and the certificate
 * check) is the URL's host name. Node never resolves anything itself, so the address checked is
 * the address connected to. Caller headers named `Host` or `Content-Length` are dropped.
 */
export function connectOptions(
  url: URL,
  address: string,
  method: string,
  headers: Record<string, string>,
): https.RequestOptions {
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const kept = Object.entries(headers).filter(
    ([name]) => !['host', 'content-length'].includes(name.toLowerCase()),
  );
  return {
    host: address,
    port: url.port || (url.protocol === 'https:' ? 443 : 80),
    path: `${url.pathname}${url.search}`,
    method,
    headers: { ...Object.fromEntries(kept), Host: url.host },
    // An IP literal is not a valid SNI name; the certificate is then checked against the IP.
    ...(url.protocol === 'https:' && !isIP(hostname) ? { servername: hostname } : {}),
  };
}

/**
 * One outbound HTTP(S) request to a URL that tenants configure (HTTP tools, knowledge retrieval),
 * without letting it reach the inside of our network: the host name is resolved once, every
 * address checked (private, loopback and link-local ones refused unless the host is allow-listed)
 * and the connection made to the checked address, so a DNS answer that changes between the check
 * and the connection (DNS rebinding) cannot redirect it. Redirects are not followed (a 3xx is
 * refused): the next hop would be an unchecked URL. A timeout covers resolution, connection and
 * the whole body; the body is read up to `maxResponseBytes` and the request is cut beyond that.
 * Non-2xx answers are returned, not thrown, so callers can word them.
 */
export async function safeRequest(target: string | URL, options: SafeRequestOptions): Promise<SafeResponse> {
  const url = new URL(target);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new SafeRequestError('refused', 'only http(s) URLs are allowed');
  if (url.username || url.password)
    throw new SafeRequestError('refused', 'credentials in the URL are not allowed; use headers');
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([options.signal, timeout]);
  const stopped = (): Error =>
    options.signal.aborted
      ? ((options.signal.reason as Error | undefined) ?? new Error('aborted'))
      : new SafeRequestError('timeout', `timed out after ${options.timeoutMs} ms`);
  if (signal.aborted) throw stopped();

  // A DNS lookup cannot be aborted, so it is raced against the signal.
  const { address } = await new Promise<ResolvedAddress>((resolve, reject) => {
    const onAbort = () => reject(stopped());
    signal.addEventListener('abort', onAbort, { once: true });
    resolveChecked(url.hostname, options.allowHosts, options.resolve)
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });

  const requestOptions = connectOptions(url, address, options.method, options.headers);
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  if (body) (requestOptions.headers as Record<string, string>)['Content-Length'] = String(body.length);
  const client = url.protocol === 'https:' ? https : http;

  return new Promise<SafeResponse>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, response?: SafeResponse) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (error) {
        request.destroy();
        reject(error);
      } else resolve(response!);
    };
    const onAbort = () => finish(stopped());
    const request = client.request(requestOptions, (response) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        response.resume();
        finish(new SafeRequestError('refused', `redirects are not followed (answered ${status})`));
        return;
      }
      const tooLarge = () =>
        new SafeRequestError('too_large', `the response is larger than ${options.maxResponseBytes} bytes`);
      if (Number(response.headers['content-length']) > options.maxResponseBytes) {
        finish(tooLarge());
        return;
      }
      const parts: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxResponseBytes) finish(tooLarge());
        else parts.push(chunk);
      });
      response.on('end', () =>
        finish(null, { status, body: Buffer.concat(parts).toString('utf8'), address }),
      );
      response.on('error', (error) => finish(failed(error)));
      // After 'end' this is a no-op; before it, the connection was cut mid-body.
      response.on('close', () => finish(new SafeRequestError('failed', 'request failed: connection closed')));
    });
    request.on('error', (error) => finish(failed(error)));
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    else request.end(body);
  });
}

function failed(error: Error): SafeRequestError {
  return new SafeRequestError('failed', `request failed: ${error.message}`);
}
