// providers.aws.sign_req (OPA topdown/providers.go, internal/providers/aws/signing_v4.go):
// AWS Signature Version 4 over an http.send-style request object, with synchronous HMACs
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html).
import { createHash, createHmac } from 'node:crypto';
import { goMarshal } from './jsonenc.ts';
import { intFromDouble, isInt, isObj, isStr, type Json } from './values.ts';

type Fn = (...args: any[]) => unknown;

const REQUIRED_CONFIG = ['aws_access_key', 'aws_region', 'aws_secret_access_key', 'aws_service'];

/** Headers a proxy may rewrite in flight, left out of the canonical request (as the AWS SDKs
 *  and OPA do). */
const IGNORED = new Set(['authorization', 'user-agent', 'x-amzn-trace-id']);

const hmac = (key: Buffer | string, msg: string): Buffer =>
  createHmac('sha256', key).update(msg, 'utf8').digest();
const sha256hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const str = (v: Json | undefined): string => (isStr(v) ? v : '');

/** The parts of a URL SigV4 needs, taken verbatim as Go's url.Parse keeps them: host (with
 *  port), the escaped path as written (empty for "http://example.com"), the raw query. */
function urlParts(url: string): { host: string; path: string; query: string } {
  const m = /^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?/.exec(url);
  const host = (m?.[1] ?? '').replace(/^[^@]*@/, '');
  // url.EscapedPath: a path as written when validly encoded, otherwise percent-encoded.
  const path = (m?.[2] ?? '').replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (c) =>
    encodeURIComponent(c),
  );
  return { host, path, query: m?.[3] ?? '' };
}

/** yyyymmddThhmmssZ and yyyymmdd in UTC (SigV4 "x-amz-date" and credential scope). */
function stamps(ns: bigint): { iso: string; day: string } {
  const iso = new Date(Number(ns / 1_000_000n))
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+/, '');
  return { iso, day: iso.slice(0, 8) };
}

function signReq(req: unknown, config: unknown, timeNs: unknown): unknown {
  if (!isObj(req) || !isObj(config) || !isInt(timeNs)) return undefined;
  if (REQUIRED_CONFIG.some((k) => !isStr(config[k]))) return undefined;
  if (!isStr(req.method) || !isStr(req.url)) return undefined;
  const headers = req.headers ?? {};
  if (!isObj(headers)) return undefined;
  const disable = config.disable_payload_signing ?? false;
  if (typeof disable !== 'boolean') return undefined;

  const service = str(config.aws_service);
  const region = str(config.aws_region);
  const { host, path, query } = urlParts(req.url);
  // raw_body wins over body; a body is hashed as Go's json.Marshal writes it.
  const body =
    req.raw_body !== undefined
      ? str(req.raw_body)
      : req.body !== undefined
        ? goMarshal(req.body)
        : '';
  const contentSha = disable ? 'UNSIGNED-PAYLOAD' : sha256hex(Buffer.from(body, 'utf8'));
  const { iso, day } = stamps(intFromDouble(timeNs));

  const amz: Record<string, string> = { host, 'x-amz-date': iso };
  // S3 and Glacier require x-amz-content-sha256; other services do not.
  if (service === 's3' || service === 'glacier') amz['x-amz-content-sha256'] = contentSha;
  if (isStr(config.aws_session_token) && config.aws_session_token !== '') {
    amz['x-amz-security-token'] = config.aws_session_token;
  }
  // The request's own headers are signed as given, overriding same-named AWS headers.
  const toSign = new Map<string, string>(Object.entries(amz));
  for (const [k, v] of Object.entries(headers)) {
    const lower = k.toLowerCase();
    if (!IGNORED.has(lower)) toSign.set(lower, str(v));
  }
  const names = [...toSign.keys()].sort();
  const canonical = [
    req.method,
    path,
    query,
    ...names.map((k) => `${k}:${toSign.get(k)}`),
    '',
    names.join(';'),
    contentSha,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSignText = `AWS4-HMAC-SHA256\n${iso}\n${scope}\n${sha256hex(canonical)}`;
  let key = hmac(`AWS4${str(config.aws_secret_access_key)}`, day);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const signature = hmac(key, toSignText).toString('hex');

  const signed: Record<string, Json> = {};
  for (const [k, v] of Object.entries(headers)) signed[k] = str(v);
  signed.Authorization =
    `AWS4-HMAC-SHA256 Credential=${str(config.aws_access_key)}/${scope},` +
    `SignedHeaders=${names.join(';')},Signature=${signature}`;
  Object.assign(signed, amz);
  return { ...req, headers: signed };
}

export const awsBuiltins: Record<string, Fn> = { 'providers.aws.sign_req': signReq };
