import { isIP } from 'node:net';

// Which addresses a webhook may connect to. Only public unicast addresses: a webhook URL is chosen by an admin, but
// a URL that reaches the app's own network (the metadata endpoint 169.254.169.254, a private range, loopback) would
// turn the alert sender into a proxy into it (SSRF). Ranges: IANA IPv4/IPv6 Special-Purpose Address Registries
// (RFC 6890 and its updates), docs/operations.md "Alerts".

/** IPv4 ranges never called, with the reason an error names. */
const IPV4_BLOCKED: ReadonlyArray<[string, number, string]> = [
  ['0.0.0.0', 8, '"this network" (0.0.0.0/8)'],
  ['10.0.0.0', 8, 'private (10.0.0.0/8)'],
  ['100.64.0.0', 10, 'carrier-grade NAT (100.64.0.0/10)'],
  ['127.0.0.0', 8, 'loopback (127.0.0.0/8)'],
  ['169.254.0.0', 16, 'link-local, cloud metadata (169.254.0.0/16)'],
  ['172.16.0.0', 12, 'private (172.16.0.0/12)'],
  ['192.0.0.0', 24, 'IETF protocol assignments (192.0.0.0/24)'],
  ['192.0.2.0', 24, 'documentation (192.0.2.0/24)'],
  ['192.88.99.0', 24, '6to4 relay anycast (192.88.99.0/24)'],
  ['192.168.0.0', 16, 'private (192.168.0.0/16)'],
  ['198.18.0.0', 15, 'benchmarking (198.18.0.0/15)'],
  ['198.51.100.0', 24, 'documentation (198.51.100.0/24)'],
  ['203.0.113.0', 24, 'documentation (203.0.113.0/24)'],
  ['224.0.0.0', 4, 'multicast (224.0.0.0/4)'],
  ['240.0.0.0', 4, 'reserved or broadcast (240.0.0.0/4)'],
];

function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** Why an IPv4 address (dotted quad) may not be called, or undefined when it is public. */
function ipv4Refusal(ip: string): string | undefined {
  const n = ipv4ToNumber(ip);
  for (const [base, bits, reason] of IPV4_BLOCKED) {
    const size = 2 ** (32 - bits);
    const start = ipv4ToNumber(base);
    if (n >= start && n < start + size) return reason;
  }
  return undefined;
}

/** The 8 16-bit groups of an IPv6 address (any textual form node accepts, an embedded dotted quad included). */
function ipv6Groups(ip: string): number[] {
  let text = ip.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const n = ipv4ToNumber(dotted[1]);
    text = `${text.slice(0, -dotted[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const zeros = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right];
}

function embeddedIpv4(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** Why an IPv6 address may not be called, or undefined when it is global unicast. */
function ipv6Refusal(ip: string): string | undefined {
  const g = ipv6Groups(ip);
  if (g.length !== 8 || g.some((x) => !Number.isInteger(x) || x < 0 || x > 0xffff)) return 'not a valid IPv6 address';
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const v4 = embeddedIpv4(g6, g7);
  const firstFiveZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (firstFiveZero && g5 === 0xffff) return `IPv4-mapped ${v4}: ${ipv4Refusal(v4) ?? 'an IPv4 address in IPv6 form'}`;
  if (firstFiveZero && g5 === 0) {
    if (g6 === 0 && g7 === 0) return 'unspecified (::)';
    if (g6 === 0 && g7 === 1) return 'loopback (::1)';
    return `IPv4-compatible ${v4} (deprecated form)`;
  }
  if (g0 === 0x64 && g1 === 0xff9b) return `NAT64 ${v4} (64:ff9b::/96, 64:ff9b:1::/48)`;
  if ((g0 & 0xfe00) === 0xfc00) return 'unique local (fc00::/7)';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local (fe80::/10)';
  if ((g0 & 0xff00) === 0xff00) return 'multicast (ff00::/8)';
  if (g0 === 0x2002) return `6to4 ${embeddedIpv4(g1, g2)} (2002::/16)`;
  if (g0 === 0x2001 && g1 === 0) return 'Teredo (2001::/32)';
  if (g0 === 0x2001 && g1 === 0xdb8) return 'documentation (2001:db8::/32)';
  if (g0 === 0x2001 && g1 < 0x200) return 'IETF protocol assignments (2001::/23)';
  if ((g0 & 0xe000) !== 0x2000) return 'not global unicast (outside 2000::/3)';
  return undefined;
}

/** Why `ip` (an IPv4 or IPv6 literal) may not be called, or undefined when it is a public unicast address. */
export function addressRefusal(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 4) return ipv4Refusal(ip);
  if (family === 6) return ipv6Refusal(ip);
  return 'not an IP address';
}
