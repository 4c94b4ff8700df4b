import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

import ipaddr from 'ipaddr.js';

/** Loopback, private, link-local (cloud metadata), CGNAT, multicast, broadcast and reserved IPv4 ranges. */
const BLOCKED_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
].map((c) => ipaddr.IPv4.parseCIDR(c));

/**
 * IPv6: unspecified and loopback (both inside the IPv4-compatible ::/96), IPv4-mapped and
 * IPv4-translated, NAT64, discard, Teredo, documentation, 6to4, unique-local, link-local, the
 * deprecated site-local, multicast. The ranges that embed an IPv4 address are refused whole:
 * the embedded address may be private, and a public one has a plain IPv4 URL.
 */
const BLOCKED_V6 = [
  '::/96',
  '::ffff:0:0/96',
  '::ffff:0:0:0/96',
  '64:ff9b::/96',
  '64:ff9b:1::/48',
  '100::/64',
  '2001::/32',
  '2001:db8::/32',
  '2002::/16',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
].map((c) => ipaddr.IPv6.parseCIDR(c));

const ALLOW_HINT = 'set WEBHOOK_ALLOW_PRIVATE_URLS=true to allow it for local testing';

/**
 * Names that only ever mean this machine or a private network: RFC 6761's `localhost`, ICANN's
 * private-use `.internal` (cloud metadata services: metadata.google.internal) and mDNS's `.local`.
 * Refused by name, as DNS may not answer for them where the server runs when the webhook is saved.
 */
const PRIVATE_NAME = /(^|\.)(localhost|internal|local)\.?$/i;

export interface ResolvedTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

export class UnsafeUrlError extends Error {}

/** The name does not resolve (yet): nothing to connect to, so nothing unsafe either. */
export class UnresolvableHostError extends UnsafeUrlError {}

export function isPrivateAddress(address: string): boolean {
  // Anything that is not a plain address (or that the parser does not know) is refused.
  if (!isIP(address) || !ipaddr.isValid(address)) return true;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') {
    const v4 = parsed as ipaddr.IPv4;
    return BLOCKED_V4.some((range) => v4.match(range));
  }
  const v6 = parsed as ipaddr.IPv6;
  return BLOCKED_V6.some((range) => v6.match(range));
}

/**
 * Resolves a webhook URL and refuses it unless every address is public. The caller connects to
 * the address returned here, so DNS cannot answer differently between the check and the request.
 */
export async function resolveTarget(raw: string, allowPrivate: boolean): Promise<ResolvedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeUrlError('the URL is not valid');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UnsafeUrlError('only http and https URLs are allowed');
  if (url.username || url.password)
    throw new UnsafeUrlError('credentials in the URL are not allowed');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && !isIP(host) && PRIVATE_NAME.test(host))
    throw new UnsafeUrlError(`the host ${host} names a private network; ${ALLOW_HINT}`);
  let addresses: { address: string; family: number }[];
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) }];
  } else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch {
      throw new UnresolvableHostError(`the host ${host} could not be resolved`);
    }
  }
  if (addresses.length === 0) throw new UnresolvableHostError(`the host ${host} has no address`);
  if (!allowPrivate) {
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad)
      throw new UnsafeUrlError(
        `the host resolves to a private or reserved address (${bad.address}); ${ALLOW_HINT}`,
      );
  }
  return { url, address: addresses[0].address, family: addresses[0].family === 6 ? 6 : 4 };
}
