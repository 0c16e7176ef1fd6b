// bits.*, graph.*, array.flatten, json.verify_schema / json.match_schema, opa.runtime and
// providers.aws.sign_req host builtins.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { call, set, table } from './builtins-table.ts';

describe('bits', () => {
  table([
    ['bits.and', [7, 9], 1],
    ['bits.or', [7, 9], 15],
    ['bits.xor', [7, 9], 14],
    ['bits.negate', [42], -43],
    ['bits.and', [-1, 255], 255],
    ['bits.lsh', [2147483647, 1], 4294967294],
    ['bits.rsh', [-9, 1], -5],
    ['bits.lsh', [7, -1], undefined],
    ['bits.and', [7.2, 42], undefined],
  ]);

  it('keeps integers beyond 2^53 exact', () => {
    expect(call('bits.lsh', 1, 70)).toBe(1n << 70n);
  });
});

describe('graph and array.flatten', () => {
  const g = { a: ['b', 'c'], b: ['d'], c: ['d'], d: [], e: set('f'), f: set('e'), x: null };
  table([
    ['graph.reachable', [g, ['b', 'e']], set('b', 'd', 'e', 'f')],
    ['graph.reachable', [g, set('x')], set('x')],
    ['graph.reachable', [g, 'a'], undefined],
    ['graph.reachable_paths', [g, ['a']], set(['a', 'b', 'd'], ['a', 'c', 'd'])],
    ['graph.reachable_paths', [g, ['e']], set(['e', 'f'])],
    ['array.flatten', [[[1, 2], 3, [[4]], set(5)]], [1, 2, 3, [4], set(5)]],
    ['array.flatten', [set(1)], undefined],
  ]);
});

describe('json schema', () => {
  const schema = {
    properties: { id: { type: 'integer' }, tags: { type: 'array', maxItems: 1 } },
    required: ['id'],
  };
  it('verify_schema accepts good schemas and explains bad ones', () => {
    expect(call('json.verify_schema', schema)).toEqual([true, null]);
    expect(call('json.verify_schema', JSON.stringify(schema))).toEqual([true, null]);
    expect(call('json.verify_schema', { type: 'nope' })).toEqual([
      false,
      'jsonschema: has a primitive type that is NOT VALID -- given: /nope/ Expected valid values are:[array boolean integer number null object string]',
    ]);
  });

  it('match_schema reports errors in gojsonschema form', () => {
    expect(call('json.match_schema', { id: 5 }, schema)).toEqual([true, []]);
    expect(call('json.match_schema', '{"id": 5}', schema)).toEqual([true, []]);
    const [ok, errors] = call('json.match_schema', { tags: [1, 2] }, schema) as [
      boolean,
      unknown[],
    ];
    expect(ok).toBe(false);
    expect(errors).toEqual(
      expect.arrayContaining([
        {
          error: '(root): id is required',
          type: 'required',
          field: '(root)',
          desc: 'id is required',
        },
        {
          error: 'tags: Array must have at most 1 items',
          type: 'array_max_items',
          field: 'tags',
          desc: 'Array must have at most 1 items',
        },
      ]),
    );
    expect(call('json.match_schema', { id: 1 }, { type: 'nope' })).toBeUndefined();
  });
});

describe('opa.runtime', () => {
  it('exposes nothing of the gateway process', () => {
    expect(call('opa.runtime')).toEqual({});
  });
});

describe('providers.aws.sign_req', () => {
  const config = {
    aws_access_key: 'AKIDEXAMPLE',
    aws_secret_access_key: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    aws_service: 'service',
    aws_region: 'us-east-1',
  };
  const at = Date.UTC(2015, 7, 30, 12, 36, 0) * 1e6;

  it("reproduces AWS's SigV4 test-suite vector get-vanilla", () => {
    const out = call(
      'providers.aws.sign_req',
      { method: 'GET', url: 'https://example.amazonaws.com/' },
      config,
      at,
    );
    expect(out).toEqual({
      method: 'GET',
      url: 'https://example.amazonaws.com/',
      headers: {
        Authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,' +
          'SignedHeaders=host;x-amz-date,Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
      },
    });
  });

  it('signs S3 payloads, session tokens and extra headers per the SigV4 steps', () => {
    const s3 = { ...config, aws_service: 's3', aws_session_token: 'TOKEN' };
    const req = {
      method: 'PUT',
      url: 'https://bucket.s3.amazonaws.com/a%20b?x=1',
      headers: { 'X-Extra': 'v' },
      raw_body: 'hi',
    };
    const out = call('providers.aws.sign_req', req, s3, at) as any;
    const bodyHash = createHash('sha256').update('hi').digest('hex');
    const canonical = [
      'PUT',
      '/a%20b',
      'x=1',
      'host:bucket.s3.amazonaws.com',
      `x-amz-content-sha256:${bodyHash}`,
      'x-amz-date:20150830T123600Z',
      'x-amz-security-token:TOKEN',
      'x-extra:v',
      '',
      'host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-extra',
      bodyHash,
    ].join('\n');
    const scope = '20150830/us-east-1/s3/aws4_request';
    const toSign = `AWS4-HMAC-SHA256\n20150830T123600Z\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
    let key: Buffer = createHmac('sha256', `AWS4${config.aws_secret_access_key}`)
      .update('20150830')
      .digest();
    for (const p of ['us-east-1', 's3', 'aws4_request'])
      key = createHmac('sha256', key).update(p).digest();
    const sig = createHmac('sha256', key).update(toSign).digest('hex');
    expect(out.headers.Authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${scope},SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-extra,Signature=${sig}`,
    );
    expect(out.headers['X-Extra']).toBe('v');
    expect(out.raw_body).toBe('hi');
  });

  it('is undefined for missing request or config fields', () => {
    expect(call('providers.aws.sign_req', {}, config, at)).toBeUndefined();
    expect(
      call('providers.aws.sign_req', { method: 'GET', url: 'http://x' }, { aws_service: 's3' }, at),
    ).toBeUndefined();
    expect(
      call(
        'providers.aws.sign_req',
        { method: 'GET', url: 'http://x' },
        { ...config, disable_payload_signing: 'yes' },
        at,
      ),
    ).toBeUndefined();
  });
});
