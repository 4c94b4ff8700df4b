import { isPrivateAddress, resolveTarget } from './url-guard';

// The address as DNS or the URL parser hands it over, one per range of SPEC §9.
const PRIVATE = [
  '0.0.0.0',
  '0.255.1.2',
  '10.0.0.1',
  '100.64.0.1',
  '100.127.255.254',
  '127.0.0.1',
  '127.255.255.255',
  '169.254.169.254',
  '172.16.0.1',
  '172.31.255.255',
  '192.0.0.8',
  '192.0.2.1',
  '192.88.99.1',
  '192.168.1.1',
  '198.18.0.1',
  '198.51.100.1',
  '203.0.113.1',
  '224.0.0.1',
  '239.255.255.250',
  '240.0.0.1',
  '255.255.255.255',
  '::',
  '::1',
  '::7f00:1',
  '::808:808',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::ffff:808:808',
  '::ffff:0:a00:1',
  '64:ff9b::a00:1',
  '64:ff9b:1::1',
  '100::1',
  '2001::1',
  '2001:0:ffff:ffff:ffff:ffff:ffff:ffff',
  '2001:db8::1',
  '2002::1',
  '2002:808:808::1',
  'fc00::1',
  'fdff:ffff::1',
  'fe80::1',
  'febf::1',
  'fec0::1',
  'feff::1',
  'ff02::1',
  'not-an-address',
];
const PUBLIC = [
  '1.1.1.1',
  '8.8.8.8',
  '100.63.255.255',
  '100.128.0.0',
  '172.32.0.1',
  '223.255.255.255',
  '2001:4860:4860::8888',
  '2001:1::1',
  '2606:4700:4700::1111',
  '2a00:1450:4001::1',
];

describe(isPrivateAddress.name, () => {
  it.each(PRIVATE)('refuses %s', (address) => expect(isPrivateAddress(address)).toBe(true));
  it.each(PUBLIC)('allows %s', (address) => expect(isPrivateAddress(address)).toBe(false));
});

describe(resolveTarget.name, () => {
  it.each([
    'http://localhost/hook',
    'http://api.localhost:8080/hook',
    'http://metadata.google.internal/computeMetadata/v1/',
    'https://printer.local/',
    'http://METADATA.GOOGLE.INTERNAL./',
  ])('refuses %s by its name, without asking DNS', async (url) => {
    await expect(resolveTarget(url, false)).rejects.toThrow(/names a private network/);
  });

  it('lets such a name through when private URLs are allowed', async () => {
    await expect(resolveTarget('http://localhost/hook', true)).resolves.toMatchObject({
      address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/),
    });
  });

  it('does not take a public name that merely contains those words for one', async () => {
    await expect(resolveTarget('http://internal.example.com/', false)).rejects.not.toThrow(
      /names a private network/,
    );
  });
});
