// Hash and HMAC builtins (OPA topdown/crypto.go): hex digests of the UTF-8 bytes of strings.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isStr } from './values.ts';

type Fn = (...args: any[]) => unknown;

const digest = (alg: string) => (s: unknown) =>
  isStr(s) ? createHash(alg).update(s, 'utf8').digest('hex') : undefined;

const hmac = (alg: string) => (s: unknown, key: unknown) =>
  isStr(s) && isStr(key)
    ? createHmac(alg, Buffer.from(key, 'utf8')).update(s, 'utf8').digest('hex')
    : undefined;

export const cryptoBuiltins: Record<string, Fn> = {
  'crypto.md5': digest('md5'),
  'crypto.sha1': digest('sha1'),
  'crypto.sha256': digest('sha256'),
  'crypto.hmac.md5': hmac('md5'),
  'crypto.hmac.sha1': hmac('sha1'),
  'crypto.hmac.sha256': hmac('sha256'),
  'crypto.hmac.sha512': hmac('sha512'),
  /** Constant-time comparison (hmac.Equal), so MAC checks in policies leak no timing. */
  'crypto.hmac.equal': (a: unknown, b: unknown) => {
    if (!isStr(a) || !isStr(b)) return undefined;
    const x = Buffer.from(a, 'utf8');
    const y = Buffer.from(b, 'utf8');
    return x.length === y.length && timingSafeEqual(x, y);
  },
};
