import { isIP } from 'node:net';

/** What an address is, for a request a tenant configured: link-local (cloud metadata) or otherwise private. */
export type AddressClass = 'link-local' | 'private' | 'public';

function ipv4Class(address: string): AddressClass {
  const [a, b] = address.split('.').map(Number);
  if (a === 169 && b === 254) return 'link-local';
  return a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
    ? 'private'
    : 'public';
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted IPv4 split in two). */
function ipv6Groups(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) =>
    part ? part.split(':').map((group) => parseInt(group, 16)) : [];
  const front = parse(head);
  const back = parse(tail);
  return tail === undefined ? front : [...front, ...Array(8 - front.length - back.length).fill(0), ...back];
}

/** The IPv4 address held in two 16-bit groups. */
function ipv4Of(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

function ipv6Class(address: string): AddressClass {
  const g = ipv6Groups(address);
  const zeros = (from: number, to: number) => g.slice(from, to).every((group) => group === 0);
  const carried = (high: number, low: number) => ipv4Class(ipv4Of(high, low));
  // ::/96 (unspecified, loopback, IPv4-compatible) and ::ffff:0:0/96, ::ffff:0:0:0/96 (IPv4-mapped
  // and -translated): the IPv4 address they carry is what a dual-stack socket reaches.
  if (zeros(0, 5) && g[5] === 0xffff) return carried(g[6], g[7]);
  if (zeros(0, 6)) return 'private';
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return carried(g[6], g[7]);
  // NAT64 (64:ff9b::/96 carries an IPv4 address; 64:ff9b:1::/48 is for local use).
  if (g[0] === 0x64 && g[1] === 0xff9b) return g[2] === 1 ? 'private' : carried(g[6], g[7]);
  // 6to4 (2002::/16) carries an IPv4 address after its prefix; Teredo (2001::/32) one inverted at its end.
  if (g[0] === 0x2002) return carried(g[1], g[2]);
  if (g[0] === 0x2001 && g[1] === 0) return carried(g[6] ^ 0xffff, g[7] ^ 0xffff);
  if ((g[0] & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  return (g[0] === 0x100 && zeros(1, 4)) || // discard-only 100::/64
    (g[0] === 0x2001 && g[1] === 0xdb8) || // documentation
    (g[0] & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (g[0] & 0xffc0) === 0xfec0 || // site-local fec0::/10
    (g[0] & 0xff00) === 0xff00 // multicast
    ? 'private'
    : 'public';
}

/**
 * What an IP address is, in IPv6 too whatever form it writes an IPv4 address in (`::ffff:7f00:1`
 * is 127.0.0.1, as a URL such as `http://[::ffff:127.0.0.1]/` normalises it). Anything that is no
 * IP address is private: it cannot be checked.
 */
export function classifyAddress(address: string): AddressClass {
  const family = isIP(address.replace(/%.*$/, ''));
  if (family === 4) return ipv4Class(address);
  if (family === 6) return ipv6Class(address);
  return 'private';
}

/** Loopback, private, link-local, CGNAT, multicast, unspecified: addresses a tool must not reach unasked. */
export function isPrivateAddress(address: string): boolean {
  return classifyAddress(address) !== 'public';
}
