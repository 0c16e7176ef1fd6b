// net.cidr_*, units.*, crypto.*, semver.* and uuid.* builtins. Expectations from OPA's v1/netcidr*,
// units, crypto*, semver* and uuid compliance cases.
import { describe, expect, it } from 'vitest';
import { beginEvaluation, endEvaluation } from '../../src/rego/builtins/index.ts';
import { call, set, table } from './builtins-table.ts';

describe('net.cidr_contains / intersects / is_valid / expand', () => {
  table([
    ['net.cidr_contains', ['10.0.0.0/8', '10.1.0.0/24'], true],
    ['net.cidr_contains', ['172.17.0.0/24', '172.17.0.0/16'], false],
    ['net.cidr_contains', ['10.0.0.0/8', '192.168.1.0/24'], false],
    ['net.cidr_contains', ['10.0.0.0/8', '10.1.1.1/32'], true],
    ['net.cidr_contains', ['2001:4860:4860::8888/32', '2001:4860:4860:1234::8888/40'], true],
    [
      'net.cidr_contains',
      ['2001:4860:4860::8888/32', '2001:4860:4860:1234:5678:1234:5678:8888/128'],
      true,
    ],
    ['net.cidr_contains', ['10.0.0.0/8', '10.1.2.3'], true],
    ['net.cidr_contains', ['10.0.0.0/8', '192.168.1.1'], false],
    ['net.cidr_contains', ['10.0.0.0/8', '::ffff:10.1.2.3'], true],
    ['net.cidr_contains', ['10.0.0.0/8', '2001::1'], false],
    ['net.cidr_contains', ['10.0.0.0/8', 'not-an-ip'], undefined],
    ['net.cidr_contains', ['10.0.0.0/33', '10.0.0.1'], undefined],
    ['net.cidr_contains', ['010.0.0.0/8', '10.0.0.1'], undefined],
    ['net.cidr_intersects', ['192.168.1.0/25', '192.168.1.64/25'], true],
    ['net.cidr_intersects', ['192.168.1.0/24', '192.168.2.0/24'], false],
    ['net.cidr_intersects', ['fd1e:5bfe:8af3:9ddc::/64', 'fd1e:5bfe:8af3:9ddc:1111::/72'], true],
    ['net.cidr_intersects', ['fd1e:5bfe:8af3:9ddc::/64', '2001:4860:4860::8888/32'], false],
    ['net.cidr_intersects', ['not-a-cidr', '10.0.0.0/8'], undefined],
    ['net.cidr_is_valid', ['10.0.0.0/8'], true],
    ['net.cidr_is_valid', ['::/0'], true],
    ['net.cidr_is_valid', ['10.0.0.0'], false],
    ['net.cidr_is_valid', ['10.0.0.0/40'], false],
    ['net.cidr_is_valid', [1], false],
    [
      'net.cidr_expand',
      ['192.168.1.0/30'],
      set('192.168.1.0', '192.168.1.1', '192.168.1.2', '192.168.1.3'),
    ],
    ['net.cidr_expand', ['192.168.1.1/32'], set('192.168.1.1')],
    ['net.cidr_expand', ['2001:db8::/127'], set('2001:db8::', '2001:db8::1')],
    ['net.cidr_expand', ['192.168.1.0/33'], undefined],
  ]);
});

describe('net.cidr_merge', () => {
  table([
    [
      'net.cidr_merge',
      [['2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128']],
      set('2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128'),
    ],
    [
      'net.cidr_merge',
      [['2601:600:8a80:207e:a57d:7567:e2c9:e7b3/64', '2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128']],
      set('2601:600:8a80:207e::/64'),
    ],
    ['net.cidr_merge', [['2601:600:8a80:207e:a57d:7567:e2c9:e7b3']], undefined],
    ['net.cidr_merge', [['192.0.128.0/24', '192.0.128.0/24']], set('192.0.128.0/24')],
    ['net.cidr_merge', [['192.0.128.0/24', '0.0.0.0/0']], set('0.0.0.0/0')],
    ['net.cidr_merge', [['192.0.128.0/24', '192.0.129.0/24']], set('192.0.128.0/23')],
    [
      'net.cidr_merge',
      [['192.0.2.112/30', '192.0.2.116/31', '192.0.2.118/31']],
      set('192.0.2.112/29'),
    ],
    [
      'net.cidr_merge',
      [['192.0.129.0/24', '192.0.130.0/24']],
      set('192.0.129.0/24', '192.0.130.0/24'),
    ],
    [
      'net.cidr_merge',
      [['192.0.2.112/30', '192.0.2.116/32', '192.0.2.118/31']],
      set('192.0.2.112/30', '192.0.2.116/32', '192.0.2.118/31'),
    ],
    [
      'net.cidr_merge',
      [['192.0.2.112/31', '192.0.2.116/31', '192.0.2.118/31']],
      set('192.0.2.112/31', '192.0.2.116/30'),
    ],
    ['net.cidr_merge', [['::/0', '::192.0.2.0/124', 'ff00::101/128']], set('::/0')],
    [
      'net.cidr_merge',
      [['fe80::/120', '192.0.2.0/24', '192.0.3.0/24', '192.0.4.0/25', '192.0.4.128/25']],
      set('192.0.2.0/23', '192.0.4.0/24', 'fe80::/120'),
    ],
    ['net.cidr_merge', [[]], set()],
    // A bare IPv4 address takes its classful default mask, as Go's net.IP.DefaultMask.
    ['net.cidr_merge', [['192.0.2.112', '192.0.2.116/31', '192.0.2.118/31']], set('192.0.2.0/24')],
    ['net.cidr_merge', [['192.0.128.0', '192.0.129.0']], set('192.0.128.0/23')],
    [
      'net.cidr_merge',
      [set('192.0.2.112/30', '192.0.2.116/31', '192.0.2.118/31')],
      set('192.0.2.112/29'),
    ],
    ['net.cidr_merge', [['foo']], undefined],
  ]);
});

describe('net.cidr_contains_matches', () => {
  table([
    ['net.cidr_contains_matches', ['1.1.1.0/24', '1.1.1.1'], set(['1.1.1.0/24', '1.1.1.1'])],
    [
      'net.cidr_contains_matches',
      [
        ['1.1.2.0/24', '1.1.1.0/24'],
        ['1.1.1.1', '1.1.2.1'],
      ],
      set([0, 1], [1, 0]),
    ],
    [
      'net.cidr_contains_matches',
      [
        [['1.1.2.0/24', 1], '1.1.1.0/24'],
        ['1.1.1.1', '1.1.2.1'],
      ],
      set([0, 1], [1, 0]),
    ],
    ['net.cidr_contains_matches', [['1.1.2.0/24'], ['1.1.1.1', 1]], undefined],
    [
      'net.cidr_contains_matches',
      [set('1.1.1.0/24', '1.1.2.0/24'), set('1.1.1.1', '1.1.2.1')],
      set(['1.1.1.0/24', '1.1.1.1'], ['1.1.2.0/24', '1.1.2.1']),
    ],
    [
      'net.cidr_contains_matches',
      [
        set(['1.1.1.0/24', 'bar'], ['1.1.2.0/24', 'foo']),
        set(['1.1.1.1', 'baz'], ['1.1.2.1', 'qux']),
      ],
      set(
        [
          ['1.1.1.0/24', 'bar'],
          ['1.1.1.1', 'baz'],
        ],
        [
          ['1.1.2.0/24', 'foo'],
          ['1.1.2.1', 'qux'],
        ],
      ),
    ],
    [
      'net.cidr_contains_matches',
      [{ k1: '1.1.1.1/24', k2: ['1.1.1.2/24', 1] }, '1.1.1.128'],
      set(['k1', '1.1.1.128'], ['k2', '1.1.1.128']),
    ],
  ]);
});

describe('units', () => {
  table([
    ['units.parse', ['500m'], 0.5],
    ['units.parse', ['0.0005K'], 0.5],
    ['units.parse', ['0.0000005M'], 0.5],
    ['units.parse', ['1'], 1],
    ['units.parse', ['10k'], 10000],
    ['units.parse', ['10K'], 10000],
    ['units.parse', ['1Ki'], 1024],
    ['units.parse', ['1KI'], 1024],
    ['units.parse', ['1mi'], 1048576],
    ['units.parse', ['1M'], 1000000],
    ['units.parse', ['1e3'], 1000],
    ['units.parse', ['1e'], 1000000000000000000n],
    ['units.parse', ['2Ei'], 2305843009213693952n],
    ['units.parse', ['1m'], 0.001],
    ['units.parse', ['"10k"'], 10000],
    ['units.parse', ['1 k'], undefined],
    ['units.parse', ['k'], undefined],
    ['units.parse', ['1kb'], undefined],
    ['units.parse', ['1e1234567'], undefined],
    ['units.parse_bytes', ['8kb'], 8000],
    ['units.parse_bytes', ['1024'], 1024],
    ['units.parse_bytes', ['1KiB'], 1024],
    ['units.parse_bytes', ['2MiB'], 2097152],
    ['units.parse_bytes', ['2Mi'], 2097152],
    ['units.parse_bytes', ['4.1Mi'], 4299161],
    ['units.parse_bytes', ['128Gi'], 137438953472],
    ['units.parse_bytes', ['10KB'], 10000],
    ['units.parse_bytes', ['1EiB'], 1152921504606846976n],
    ['units.parse_bytes', ['.0'], 0],
    ['units.parse_bytes', [''], undefined],
    ['units.parse_bytes', ['GB'], undefined],
    ['units.parse_bytes', ['0.0.0'], undefined],
    ['units.parse_bytes', ['100 kb'], undefined],
    ['units.parse_bytes', ['1xb'], undefined],
  ]);
});

describe('crypto', () => {
  table([
    ['crypto.md5', ['lorem ipsum'], '80a751fde577028640c419000e33eba6'],
    ['crypto.sha1', ['lorem ipsum'], 'bfb7759a67daeb65410490b4d98bb9da7d1ea2ce'],
    [
      'crypto.sha256',
      ['lorem ipsum'],
      '5e2bf57d3f40c4b6df69daf1936cb766f832374b4fc0259a7cbff06e2f70f269',
    ],
    [
      'crypto.hmac.sha256',
      ['msg', 'key'],
      '2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628',
    ],
    ['crypto.hmac.md5', ['', ''], '74e6f7298a9c2d168935f58c001bad88'],
    ['crypto.hmac.sha1', ['', ''], 'fbdb1d1b18aa6c08324b7d64b71fb76370690e1d'],
    [
      'crypto.hmac.sha512',
      ['', ''],
      'b936cee86c9f87aa5d3c6f2e84cb5a4239a5fe50480a6ec66b70ab5b1f4ac6730c6c515421b327ec1d69402e53dfb49ad7381eb067b338fd7b0cb22247225d47',
    ],
    ['crypto.hmac.equal', ['abc', 'abc'], true],
    ['crypto.hmac.equal', ['abc', 'abd'], false],
    ['crypto.hmac.equal', ['abc', 'ab'], false],
    ['crypto.sha256', [1], undefined],
  ]);
});

describe('semver', () => {
  table([
    ['semver.is_valid', ['1.0.0'], true],
    ['semver.is_valid', ['1.0.0-alpha.1+build.5'], true],
    ['semver.is_valid', ['v1.0.0'], false],
    ['semver.is_valid', ['1.0'], false],
    ['semver.is_valid', ['01.0.0'], false],
    ['semver.is_valid', [1], false],
    ['semver.compare', ['1.0.0', '1.0.0'], 0],
    ['semver.compare', ['1.0.0', '1.0.1'], -1],
    ['semver.compare', ['2.0.0', '1.9.9'], 1],
    ['semver.compare', ['1.0.0-alpha', '1.0.0'], -1],
    ['semver.compare', ['1.0.0-alpha.1', '1.0.0-alpha.beta'], -1],
    ['semver.compare', ['1.0.0-rc.1', '1.0.0-beta.11'], 1],
    ['semver.compare', ['1.0.0-alpha.2', '1.0.0-alpha.10'], -1],
    ['semver.compare', ['1.0.0+a', '1.0.0+b'], 0],
    ['semver.compare', ['1.0', '1.0.0'], undefined],
  ]);
});

describe('uuid', () => {
  table([
    ['uuid.parse', ['00000000-0000-4000-8000-000000000000'], { variant: 'RFC4122', version: 4 }],
    ['uuid.parse', ['{00000000-0000-4000-8000-000000000000}'], { variant: 'RFC4122', version: 4 }],
    ['uuid.parse', ['6bea8ef2d3d33cd184e09bab06a52ece'], { variant: 'RFC4122', version: 3 }],
    ['uuid.parse', ['38074da4-0b00-388d-9c3c-362de965547a'], { variant: 'RFC4122', version: 3 }],
    [
      'uuid.parse',
      ['urn:uuid:000003e8-48b9-21ee-b200-325096b39f47'],
      {
        clocksequence: 12800,
        domain: 'Person',
        id: 1000,
        macvariables: 'local:unicast',
        nodeid: '32-50-96-b3-9f-47',
        time: 1693566990121469600n,
        variant: 'RFC4122',
        version: 2,
      },
    ],
    ['uuid.parse', ['not-a-uuid'], undefined],
    ['uuid.parse', [123], undefined],
  ]);
  it('uuid.rfc4122 is stable per key within an evaluation', () => {
    beginEvaluation();
    const a = call('uuid.rfc4122', 'k');
    expect(call('uuid.rfc4122', 'k')).toBe(a);
    expect(call('uuid.rfc4122', 'other')).not.toBe(a);
    expect(call('uuid.parse', a)).toEqual({ variant: 'RFC4122', version: 4 });
    beginEvaluation();
    expect(call('uuid.rfc4122', 'k')).not.toBe(a);
    endEvaluation();
  });
});
