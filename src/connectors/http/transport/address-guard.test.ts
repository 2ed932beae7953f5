import type dns from 'node:dns';
import { describe, expect, it, vi } from 'vitest';
import { UserError } from '../../../errors/index.js';
import {
  checkTarget,
  checkUrlHost,
  classifyAddress,
  createGuardedLookup,
  isHostAllowed,
  type AddressClass,
  type AddressPolicy,
  type ResolvedAddress,
} from './address-guard.js';

const strict: AddressPolicy = { allowPrivate: false, allowHosts: [] };

function refusal(fn: () => void): UserError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a refusal');
}

describe('classifyAddress', () => {
  const ipv4: [string, AddressClass][] = [
    ['93.184.216.34', 'public'],
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade-nat'],
    ['100.127.255.254', 'carrier-grade-nat'],
    ['100.128.0.1', 'public'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
  ];
  const ipv6: [string, AddressClass][] = [
    ['2606:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fd00:ec2::254', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['::ffff:192.168.1.1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:93.184.216.34', 'public'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::93.184.216.34', 'public'],
    ['2002:a00:1::1', 'private'],
    ['2002:5db8:d822::1', 'public'],
    ['::7f00:1', 'reserved'],
    ['4000::1', 'reserved'],
  ];

  it.each(ipv4)('classifies %s as %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });

  it.each(ipv6)('classifies %s as %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });

  it('reads bracketed IPv6 and the odd IPv4 forms the way URLs do', () => {
    expect(classifyAddress('[::1]')).toBe('loopback');
    expect(classifyAddress('2130706433')).toBe('loopback');
    expect(classifyAddress('0x7f.1')).toBe('loopback');
  });

  it('calls anything that is not an address invalid', () => {
    expect(classifyAddress('example.com')).toBe('invalid');
    expect(classifyAddress('')).toBe('invalid');
    expect(classifyAddress('1.2.3.4.5')).toBe('invalid');
  });
});

describe('isHostAllowed', () => {
  it('matches exact names without regard to case or a trailing dot', () => {
    expect(isHostAllowed('Internal.Example', ['internal.example'])).toBe(true);
    expect(isHostAllowed('internal.example.', ['INTERNAL.example'])).toBe(true);
    expect(isHostAllowed('other.example', ['internal.example'])).toBe(false);
  });

  it('matches subdomains at any depth for *.example.com, but not the apex or look-alikes', () => {
    const hosts = ['*.corp.example'];
    expect(isHostAllowed('api.corp.example', hosts)).toBe(true);
    expect(isHostAllowed('a.b.CORP.example', hosts)).toBe(true);
    expect(isHostAllowed('corp.example', hosts)).toBe(false);
    expect(isHostAllowed('evilcorp.example', hosts)).toBe(false);
    expect(isHostAllowed('api.corp.example.evil.test', hosts)).toBe(false);
  });

  it('compares IP addresses in their canonical spelling', () => {
    expect(isHostAllowed('[0:0::1]', ['::1'])).toBe(true);
    expect(isHostAllowed('10.0.0.5', ['10.0.0.5'])).toBe(true);
    expect(isHostAllowed('10.0.0.6', ['10.0.0.5'])).toBe(false);
  });
});

describe('checkTarget', () => {
  it('allows public addresses under the strictest policy', () => {
    expect(() => checkTarget('example.com', '93.184.216.34', strict)).not.toThrow();
    expect(() => checkTarget('example.com', '2606:4700::1111', strict)).not.toThrow();
  });

  it('refuses a private address naming the host, the address, the rule and the settings', () => {
    const error = refusal(() => checkTarget('internal.example', '10.0.0.5', strict));
    expect(error.code).toBe('source_blocked');
    expect(error.message).toBe(
      'Refused to connect to internal.example (10.0.0.5): private network addresses are blocked. ' +
        'Set SLUICE_HTTP_ALLOW_PRIVATE=true or add the host to SLUICE_HTTP_ALLOW_HOSTS to allow it.',
    );
    expect(error.details).toEqual({ host: 'internal.example', address: '10.0.0.5', addressClass: 'private' });
  });

  it('names the address once when the host is an IP literal', () => {
    expect(refusal(() => checkTarget('127.0.0.1', '127.0.0.1', strict)).message).toMatch(
      /^Refused to connect to 127\.0\.0\.1: loopback addresses/,
    );
  });

  it('calls out cloud metadata services', () => {
    expect(refusal(() => checkTarget('169.254.169.254', '169.254.169.254', strict)).message).toContain('cloud metadata');
    expect(refusal(() => checkTarget('metadata.test', 'fd00:ec2::254', strict)).message).toContain('cloud metadata');
    expect(refusal(() => checkTarget('x.test', '169.254.1.1', strict)).message).toContain('metadata');
  });

  it('refuses IPv4-mapped IPv6 forms of private addresses', () => {
    expect(refusal(() => checkTarget('x.test', '::ffff:192.168.1.1', strict)).details).toMatchObject({
      addressClass: 'private',
    });
  });

  it('allows every address but cloud metadata with allowPrivate', () => {
    const open: AddressPolicy = { allowPrivate: true, allowHosts: [] };
    for (const ip of ['10.0.0.1', '127.0.0.1', '::1', '169.254.1.1', 'fd00::1', '100.64.0.1']) {
      expect(() => checkTarget('x.test', ip, open)).not.toThrow();
    }
  });

  it('allows listed hosts whatever they resolve to, and only them', () => {
    const policy: AddressPolicy = { allowPrivate: false, allowHosts: ['db.internal', '*.corp.example'] };
    expect(() => checkTarget('db.internal', '10.0.0.1', policy)).not.toThrow();
    expect(() => checkTarget('api.corp.example', '192.168.0.10', policy)).not.toThrow();
    expect(() => checkTarget('other.internal', '10.0.0.1', policy)).toThrow(UserError);
    expect(() => checkTarget('10.0.0.1', '10.0.0.1', policy)).toThrow(UserError);
  });
});

describe('checkUrlHost', () => {
  // WHATWG URL parsing turns the odd spellings into 127.0.0.1 before the guard sees them.
  it.each([
    'http://127.0.0.1/',
    'http://[::1]/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://017700000001/',
    'http://127.1/',
    'http://0/',
    'http://[::ffff:127.0.0.1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
  ])('refuses the IP literal in %s', (url) => {
    expect(refusal(() => checkUrlHost(new URL(url), strict)).code).toBe('source_blocked');
  });

  it('leaves host names to the lookup and allows public literals', () => {
    expect(() => checkUrlHost(new URL('http://localhost/'), strict)).not.toThrow();
    expect(() => checkUrlHost(new URL('https://93.184.216.34/'), strict)).not.toThrow();
    expect(() => checkUrlHost(new URL('http://[2606:4700::1111]/'), strict)).not.toThrow();
  });
});

describe('createGuardedLookup', () => {
  type Answer = { error: NodeJS.ErrnoException | null; address: string | dns.LookupAddress[]; family?: number };

  function lookupWith(addresses: ResolvedAddress[] | Error, policy: AddressPolicy = strict) {
    const resolve = vi.fn(async (_hostname: string) => {
      if (addresses instanceof Error) throw addresses;
      return addresses;
    });
    const lookup = createGuardedLookup(policy, resolve);
    const call = (hostname: string, options: dns.LookupOptions) =>
      new Promise<Answer>((done) => lookup(hostname, options, (error, address, family) => done({ error, address, family })));
    return { resolve, call };
  }

  it('answers every address when asked for all, as net.connect does with autoSelectFamily', async () => {
    const addresses = [
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ];
    const { call, resolve } = lookupWith(addresses);
    const answer = await call('example.com', { all: true });
    expect(answer.error).toBeNull();
    expect(answer.address).toEqual(addresses);
    expect(resolve).toHaveBeenCalledWith('example.com');
  });

  it('answers the first address of the asked family otherwise', async () => {
    const { call } = lookupWith([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ]);
    expect(await call('example.com', {})).toMatchObject({ error: null, address: '93.184.216.34', family: 4 });
    expect(await call('example.com', { family: 6 })).toMatchObject({ address: '2606:2800:220:1::1', family: 6 });
    expect((await call('example.com', { family: 6, all: true })).address).toEqual([
      { address: '2606:2800:220:1::1', family: 6 },
    ]);
  });

  it('refuses a public-looking name that resolves to a private address', async () => {
    const { call } = lookupWith([{ address: '10.0.0.1', family: 4 }]);
    const answer = await call('api.example.com', { all: true });
    expect(answer.error).toBeInstanceOf(UserError);
    expect((answer.error as unknown as UserError).code).toBe('source_blocked');
    expect(answer.error!.message).toContain('api.example.com (10.0.0.1)');
  });

  it('refuses when any one of the addresses is not allowed (DNS rebinding)', async () => {
    const { call } = lookupWith([
      { address: '93.184.216.34', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ]);
    const answer = await call('rebind.example.com', {});
    expect((answer.error as unknown as UserError).code).toBe('source_blocked');
    expect(answer.error!.message).toContain('169.254.169.254');
  });

  it('allows private answers for listed hosts', async () => {
    const { call } = lookupWith([{ address: '10.1.2.3', family: 4 }], { allowPrivate: false, allowHosts: ['*.corp.example'] });
    expect(await call('api.corp.example', {})).toMatchObject({ error: null, address: '10.1.2.3' });
  });

  it('passes resolver failures on, and reports a name without suitable addresses as ENOTFOUND', async () => {
    const failure = Object.assign(new Error('getaddrinfo EAI_AGAIN x.test'), { code: 'EAI_AGAIN' });
    expect((await lookupWith(failure).call('x.test', {})).error).toBe(failure);
    expect((await lookupWith([]).call('x.test', {})).error?.code).toBe('ENOTFOUND');
    expect((await lookupWith([{ address: '93.184.216.34', family: 4 }]).call('x.test', { family: 6 })).error?.code).toBe(
      'ENOTFOUND',
    );
  });
});

describe('cloud metadata addresses', () => {
  it('stay blocked when private addresses are allowed, unless the host is listed', async () => {
    const { isTargetAllowed, checkTarget } = await import('./address-guard.js');
    const open = { allowPrivate: true, allowHosts: [] };
    expect(isTargetAllowed('metadata.internal', '169.254.169.254', open)).toBe(false);
    expect(isTargetAllowed('fd00:ec2::254', 'fd00:ec2::254', open)).toBe(false);
    expect(isTargetAllowed('db.internal', '10.0.0.7', open)).toBe(true);
    expect(isTargetAllowed('metadata.internal', '169.254.169.254', { allowPrivate: false, allowHosts: ['metadata.internal'] })).toBe(true);
    expect(() => checkTarget('metadata.internal', '169.254.169.254', open)).toThrow(/SLUICE_HTTP_ALLOW_HOSTS/);
  });
});
