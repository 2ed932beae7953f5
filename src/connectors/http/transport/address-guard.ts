/**
 * The private-network guard (SSRF). Sluice calls URLs that users type in, from
 * inside the operator's network: without this guard a connection could read
 * the cloud metadata service, an admin panel on localhost or a database on the
 * LAN. Every address a request is about to connect to passes `checkTarget`:
 * the addresses a name resolves to (through `createGuardedLookup`, the socket's
 * own lookup, so the checked address is the one connected to) and IP literals
 * in URLs, which Node connects to without any lookup.
 */
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { UserError } from '../../../errors/index.js';

/** What kind of network an address belongs to. Only `public` is reachable by default. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unique-local'
  | 'site-local'
  | 'carrier-grade-nat'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'invalid';

/** Which non-public targets an installation allows; `Config.sources` has this shape. */
export interface AddressPolicy {
  /** Allow every non-public address (tests, on-premises APIs). */
  allowPrivate: boolean;
  /** Host names (exact, or `*.example.com` for any subdomain) allowed whatever they resolve to. */
  allowHosts: readonly string[];
}

/** Addresses of cloud metadata services, named in refusals because they are the usual SSRF prize. */
const METADATA_ADDRESSES = new Set([
  '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean, ...
  '169.254.170.2', // AWS ECS task metadata
  '100.100.100.200', // Alibaba Cloud
  'fd00:ec2::254', // AWS over IPv6
]);

const IPV4_CLASSES: Record<string, AddressClass> = {
  unicast: 'public',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade-nat',
  private: 'private',
  reserved: 'reserved',
  // Anycast DNS sinks and multicast relays: public in theory, never an API.
  as112: 'reserved',
  amt: 'reserved',
};

const IPV6_CLASSES: Record<string, AddressClass> = {
  unicast: 'public',
  unspecified: 'unspecified',
  linkLocal: 'link-local',
  multicast: 'multicast',
  loopback: 'loopback',
  uniqueLocal: 'unique-local',
  deprecatedSiteLocal: 'site-local',
};

/** Global unicast space: every other IPv6 address not named above is unallocated or special. */
const IPV6_GLOBAL = ipaddr.IPv6.parseCIDR('2000::/3');
/** NAT64's well-known prefix, which embeds the IPv4 address in its last 32 bits. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/**
 * Classifies an IP address, using ipaddr.js's ranges. IPv6 forms that carry
 * an IPv4 address (`::ffff:10.0.0.1`, NAT64, 6to4, IPv4-translated) take the
 * class of that IPv4 address, since that is where the packets end up.
 * Anything that is not an address is `invalid` (and so refused).
 */
export function classifyAddress(ip: string): AddressClass {
  const text = ip.trim().replace(/^\[(.*)\]$/, '$1');
  // ipaddr.js also reads the odd IPv4 forms (`2130706433`, `0x7f.1`) the way URLs do.
  if (ipaddr.IPv4.isValid(text)) return classifyIPv4(ipaddr.IPv4.parse(text));
  if (!ipaddr.IPv6.isValid(text)) return 'invalid';
  return classifyIPv6(ipaddr.IPv6.parse(text));
}

function classifyIPv4(address: ipaddr.IPv4): AddressClass {
  return IPV4_CLASSES[address.range()] ?? 'reserved';
}

function classifyIPv6(address: ipaddr.IPv6): AddressClass {
  const range = address.range();
  const parts = address.parts;
  switch (range) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return classifyIPv4(embeddedIPv4(parts[6]!, parts[7]!));
    case 'rfc6052':
      // 64:ff9b:1::/48 (local-use NAT64) places the IPv4 address by prefix length; nothing legitimate needs it.
      return address.match(NAT64_WELL_KNOWN) ? classifyIPv4(embeddedIPv4(parts[6]!, parts[7]!)) : 'reserved';
    case '6to4':
      return classifyIPv4(embeddedIPv4(parts[1]!, parts[2]!));
    default: {
      const known = IPV6_CLASSES[range];
      if (known === 'public') return address.match(IPV6_GLOBAL) ? 'public' : 'reserved';
      return known ?? 'reserved';
    }
  }
}

function embeddedIPv4(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** Lower-case, without IPv6 brackets or the trailing dot of a fully qualified name. */
function normalizeHost(host: string): string {
  const bare = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  // Spell IP addresses one way, so `::1` in the list matches `0:0::1` in a URL.
  return net.isIP(bare) !== 0 ? ipaddr.parse(bare).toString() : bare;
}

/** Whether `hostname` is in `allowHosts`: exact names, or `*.example.com` for any subdomain (not the apex). */
export function isHostAllowed(hostname: string, allowHosts: readonly string[]): boolean {
  const host = normalizeHost(hostname);
  return allowHosts.some((entry) => {
    const pattern = normalizeHost(entry);
    if (pattern.startsWith('*.')) {
      const suffix = pattern.slice(1);
      return host.endsWith(suffix) && host.length > suffix.length;
    }
    return pattern === host;
  });
}

/** Whether connecting to `address` (which `hostname` resolved to) is allowed by `policy`. */
export function isTargetAllowed(hostname: string, address: string, policy: AddressPolicy): boolean {
  if (isHostAllowed(hostname, policy.allowHosts)) return true;
  // Cloud metadata services hand out credentials: even SLUICE_HTTP_ALLOW_PRIVATE does not open them,
  // only naming the host in SLUICE_HTTP_ALLOW_HOSTS does.
  if (METADATA_ADDRESSES.has(normalizeHost(address))) return false;
  return classifyAddress(address) === 'public' || policy.allowPrivate;
}

/**
 * Throws a `source_blocked` UserError unless `policy` allows connecting to
 * `address` for `hostname`. The message names the host, the address, the rule
 * and the settings that lift it.
 */
export function checkTarget(hostname: string, address: string, policy: AddressPolicy): void {
  if (isTargetAllowed(hostname, address, policy)) return;
  const addressClass = classifyAddress(address);
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  const target = normalizeHost(host) === normalizeHost(address) ? address : `${host} (${address})`;
  throw new UserError(
    'source_blocked',
    `Refused to connect to ${target}: ${describeRule(address, addressClass)}. ` +
      (METADATA_ADDRESSES.has(normalizeHost(address))
        ? 'Only listing the host in SLUICE_HTTP_ALLOW_HOSTS allows it.'
        : 'Set SLUICE_HTTP_ALLOW_PRIVATE=true or add the host to SLUICE_HTTP_ALLOW_HOSTS to allow it.'),
    { details: { host, address, addressClass } },
  );
}

function describeRule(address: string, addressClass: AddressClass): string {
  if (METADATA_ADDRESSES.has(normalizeHost(address))) {
    return `this is a cloud metadata service address, and ${addressClass} addresses are blocked`;
  }
  switch (addressClass) {
    case 'private':
      return 'private network addresses are blocked';
    case 'loopback':
      return 'loopback addresses (this machine) are blocked';
    case 'link-local':
      return 'link-local addresses are blocked (they include cloud metadata services such as 169.254.169.254)';
    case 'unique-local':
      return 'unique-local IPv6 addresses (private networks) are blocked';
    case 'site-local':
      return 'site-local IPv6 addresses (private networks) are blocked';
    case 'carrier-grade-nat':
      return 'carrier-grade NAT addresses (100.64.0.0/10) are blocked';
    case 'unspecified':
      return 'unspecified addresses (0.0.0.0, ::), which reach this machine, are blocked';
    case 'multicast':
      return 'multicast addresses are blocked';
    case 'broadcast':
      return 'the broadcast address is blocked';
    case 'reserved':
      return 'reserved and special-purpose addresses are blocked';
    case 'invalid':
      return 'it is not a valid IP address';
    case 'public':
      return 'public addresses are allowed';
  }
}

/** A resolved address, as `dns.lookup` with `all: true` returns them. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to every address it has. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** The operating system's resolver (`dns.lookup`, so /etc/hosts counts), every address. */
export const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true });

/** The `lookup` option of `net.connect` and `tls.connect`. */
export type LookupFunction = (
  hostname: string,
  options: dns.LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void,
) => void;

/**
 * A `lookup` for `net.connect` that resolves every address of the name and
 * refuses the connection if any one of them is not allowed. Checking all of
 * them, not just the one Node picks, defeats DNS rebinding tricks where a name
 * answers both a public and a private address. Because the socket connects
 * to exactly the addresses checked here, no second resolution can differ.
 */
export function createGuardedLookup(policy: AddressPolicy, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    const answer = (addresses: ResolvedAddress[]): void => {
      let usable: ResolvedAddress[];
      try {
        for (const { address } of addresses) checkTarget(hostname, address, policy);
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
        usable = family === 0 ? addresses : addresses.filter((a) => a.family === family);
        if (usable.length === 0) throw notFound(hostname);
      } catch (error) {
        callback(error as NodeJS.ErrnoException, '');
        return;
      }
      if (options.all) callback(null, usable);
      else callback(null, usable[0]!.address, usable[0]!.family);
    };
    resolve(hostname).then(answer, (error: unknown) => callback(error as NodeJS.ErrnoException, ''));
  };
}

/** The error `dns.lookup` gives for a name without (suitable) addresses. */
function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
}

/**
 * Checks the host of `url` when it is an IP literal. Node connects to IP
 * literals without calling `lookup`, so the guarded lookup never sees them.
 * WHATWG URL parsing has already turned `2130706433`, `0x7f.1` and
 * `017700000001` into `127.0.0.1`, so only canonical forms arrive here.
 */
export function checkUrlHost(url: URL, policy: AddressPolicy): void {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(host) !== 0) checkTarget(host, host, policy);
}
