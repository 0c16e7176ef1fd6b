// crypto.x509.* and crypto.parse_private_keys against a real root → intermediate → leaf chain
// made with the openssl CLI, compared with what node:crypto reads from the same material.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './builtins-table.ts';

let dir = '';
const pem: Record<string, string> = {};
const read = (f: string) => readFileSync(join(dir, f), 'utf8');
const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-x509-'));
  writeFileSync(
    join(dir, 'ca.ext'),
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n',
  );
  writeFileSync(
    join(dir, 'leaf.ext'),
    'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' +
      'subjectAltName=DNS:mcp.example,DNS:*.mcp.example,IP:127.0.0.1,URI:spiffe://example.org/warden,email:ops@example.org\n',
  );
  ossl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'root.key',
    '-out',
    'root.pem',
    '-subj',
    '/C=DE/O=Warden Test/CN=Warden Root',
    '-days',
    '3',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  ossl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'int.key',
    '-out',
    'int.csr',
    '-subj',
    '/O=Warden Test/CN=Warden Intermediate',
  );
  ossl(
    'x509',
    '-req',
    '-in',
    'int.csr',
    '-CA',
    'root.pem',
    '-CAkey',
    'root.key',
    '-set_serial',
    '4660',
    '-days',
    '2',
    '-extfile',
    'ca.ext',
    '-out',
    'int.pem',
  );
  ossl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'leaf.key',
    '-out',
    'leaf.csr',
    '-subj',
    '/CN=mcp.example',
    '-addext',
    'subjectAltName=DNS:mcp.example',
  );
  ossl(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'int.pem',
    '-CAkey',
    'int.key',
    '-set_serial',
    '0x0123456789abcdef0123',
    '-days',
    '1',
    '-extfile',
    'leaf.ext',
    '-out',
    'leaf.pem',
  );
  for (const f of [
    'root.pem',
    'int.pem',
    'leaf.pem',
    'leaf.csr',
    'leaf.key',
    'int.key',
    'root.key',
  ]) {
    pem[f] = read(f);
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('crypto.x509.parse_certificates', () => {
  it('decodes subjects, SANs, extensions and serials like Go', () => {
    const [leaf] = call('crypto.x509.parse_certificates', pem['leaf.pem']) as any[];
    expect(leaf.Subject.CommonName).toBe('mcp.example');
    expect(leaf.Issuer.CommonName).toBe('Warden Intermediate');
    expect(leaf.Issuer.Organization).toEqual(['Warden Test']);
    expect(leaf.Subject.Names).toEqual([{ Type: [2, 5, 4, 3], Value: 'mcp.example' }]);
    expect(leaf.DNSNames).toEqual(['mcp.example', '*.mcp.example']);
    expect(leaf.IPAddresses).toEqual(['127.0.0.1']);
    expect(leaf.EmailAddresses).toEqual(['ops@example.org']);
    expect(leaf.URIStrings).toEqual(['spiffe://example.org/warden']);
    expect(leaf.URIs[0]).toMatchObject({ Scheme: 'spiffe', Host: 'example.org', Path: '/warden' });
    expect(leaf.ExtKeyUsage).toEqual([1]);
    expect(leaf.BasicConstraintsValid).toBe(true);
    expect(leaf.IsCA).toBe(false);
    expect(leaf.Version).toBe(3);
    expect(leaf.SerialNumber).toBe(BigInt('0x0123456789abcdef0123'));
    const node = new X509Certificate(pem['leaf.pem']);
    expect(Date.parse(leaf.NotAfter)).toBe(Date.parse(node.validTo));
    expect(leaf.Raw).toBe(node.raw.toString('base64'));
    expect(leaf.PublicKeyAlgorithm).toBe(1);
    expect(leaf.SignatureAlgorithm).toBe(10); // ECDSAWithSHA256, signed by the EC intermediate
  });

  it('accepts PEM chains, base64 PEM and base64 DER; rejects garbage', () => {
    const chain = pem['root.pem'] + pem['int.pem'];
    const cns = (v: unknown) => (v as any[]).map((c) => c.Subject.CommonName);
    expect(cns(call('crypto.x509.parse_certificates', chain))).toEqual([
      'Warden Root',
      'Warden Intermediate',
    ]);
    expect(
      cns(call('crypto.x509.parse_certificates', Buffer.from(chain).toString('base64'))),
    ).toEqual(['Warden Root', 'Warden Intermediate']);
    const der = new X509Certificate(pem['int.pem']).raw.toString('base64');
    const [int] = call('crypto.x509.parse_certificates', der) as any[];
    expect(int.IsCA).toBe(true);
    expect(int.MaxPathLen).toBe(-1);
    expect(int.KeyUsage).toBe(32 | 64); // KeyUsageCertSign | KeyUsageCRLSign
    expect(int.SerialNumber).toBe(4660);
    expect(call('crypto.x509.parse_certificates', 'not base64!')).toBeUndefined();
    expect(call('crypto.x509.parse_certificates', 'YmFkc3RyaW5n')).toBeUndefined();
  });
});

describe('crypto.x509.parse_and_verify_certificates', () => {
  it('verifies root, intermediates, leaf and returns the chain leaf first', () => {
    const out = call(
      'crypto.x509.parse_and_verify_certificates',
      pem['root.pem'] + pem['int.pem'] + pem['leaf.pem'],
    ) as [boolean, any[]];
    expect(out[0]).toBe(true);
    expect(out[1].map((c) => c.Subject.CommonName)).toEqual([
      'mcp.example',
      'Warden Intermediate',
      'Warden Root',
    ]);
  });

  it('fails without the issuing intermediate or with a single certificate', () => {
    expect(
      call('crypto.x509.parse_and_verify_certificates', pem['root.pem'] + pem['leaf.pem']),
    ).toEqual([false, []]);
    expect(call('crypto.x509.parse_and_verify_certificates', pem['root.pem'])).toEqual([false, []]);
    expect(call('crypto.x509.parse_and_verify_certificates', 'junk')).toEqual([false, []]);
  });
});

describe('CSRs and keys', () => {
  it('parse_certificate_request reads PEM and base64 DER', () => {
    const csr = call('crypto.x509.parse_certificate_request', pem['leaf.csr']) as any;
    expect(csr.Subject.CommonName).toBe('mcp.example');
    expect(csr.DNSNames).toEqual(['mcp.example']);
    expect(csr.PublicKeyAlgorithm).toBe(1);
    const der = Buffer.from(pem['leaf.csr'].replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(
      (call('crypto.x509.parse_certificate_request', der.toString('base64')) as any).Subject
        .CommonName,
    ).toBe('mcp.example');
    expect(call('crypto.x509.parse_certificate_request', pem['leaf.pem'])).toBeUndefined();
  });

  it('parse_rsa_private_key returns the JWK node:crypto computes', () => {
    const want = createPrivateKey(pem['leaf.key']).export({ format: 'jwk' });
    expect(call('crypto.x509.parse_rsa_private_key', pem['leaf.key'])).toEqual(want);
    expect(
      call('crypto.x509.parse_rsa_private_key', Buffer.from(pem['leaf.key']).toString('base64')),
    ).toEqual(want);
    expect(call('crypto.x509.parse_rsa_private_key', 'invalid')).toBeUndefined();
  });

  it('parse_private_keys finds every key block', () => {
    const keys = call('crypto.parse_private_keys', pem['leaf.key'] + pem['int.key']) as any[];
    expect(keys).toHaveLength(2);
    expect(keys[0].E).toBe(65537);
    expect(typeof keys[1].D).toBe('bigint');
    expect(call('crypto.parse_private_keys', 'nope')).toEqual([]);
    expect(call('crypto.parse_private_keys', '')).toBeNull();
  });

  it('parse_keypair pairs a certificate with its key and refuses a mismatch', () => {
    const pair = call('crypto.x509.parse_keypair', pem['leaf.pem'], pem['leaf.key']) as any;
    expect(pair.Certificate).toEqual([new X509Certificate(pem['leaf.pem']).raw.toString('base64')]);
    expect(pair.Leaf.Subject.CommonName).toBe('mcp.example');
    expect(call('crypto.x509.parse_keypair', pem['leaf.pem'], pem['root.key'])).toBeUndefined();
  });
});
