// Key material of the tamper evidence: chain keys (HMAC-SHA-256 secrets, rotatable by id) and
// the Ed25519 key that signs checkpoints. Read when the auditor starts and when `warden audit
// verify` runs; errors name the config key or the file at fault.
import { createPrivateKey, createPublicKey, hash, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UserInputError } from '../errors/index.ts';
import type { ChainKeyConfig } from './config.ts';

export interface ChainKey {
  kid: string;
  key: Buffer;
}

/** The kid of a key given without an id (`audit.chain_key`, or a bare `--key` file): a
 *  fingerprint, so verify finds the key for a record without being told its id. It reveals
 *  nothing useful about a secret of ≥ 16 bytes (SHA-256 preimage resistance). */
export const fingerprint = (key: Buffer): string =>
  `k-${hash('sha256', Buffer.concat([Buffer.from('mcp-warden chain key\n'), key]), 'hex').slice(0, 16)}`;

function readSecret(file: string, where: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserInputError(
      'CONFIG_INVALID',
      `cannot read key file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { where },
    );
  }
  // A trailing newline (echo > file) is not part of the secret.
  const key = Buffer.from(text.replace(/\r?\n$/, ''), 'utf8');
  if (key.length < 16)
    throw new UserInputError('CONFIG_INVALID', `key in ${file} is shorter than 16 bytes`, {
      where,
    });
  return key;
}

export function loadChainKeys(cfg: ChainKeyConfig[]): ChainKey[] {
  return cfg.map((c) => {
    const key =
      typeof c.key === 'string'
        ? Buffer.from(c.key, 'utf8')
        : readSecret(c.key.file, `${c.where}.file`);
    return { kid: c.id ?? fingerprint(key), key };
  });
}

/** `--key FILE` of verify: a bare secret (its kid is its fingerprint), or a JSON object
 *  `{"<kid>": "<secret>", …}` holding rotated keys by id. */
export function readVerifyKeys(file: string): ChainKey[] {
  const text = readFileSync(file, 'utf8');
  if (text.trimStart().startsWith('{')) {
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch {
      o = undefined;
    }
    if (o && typeof o === 'object' && !Array.isArray(o))
      return Object.entries(o as Record<string, unknown>).map(([kid, v]) => {
        if (typeof v !== 'string')
          throw new UserInputError('CLI_BAD_KEY', `key ${JSON.stringify(kid)} is not a string`, {
            where: file,
          });
        return { kid, key: Buffer.from(v, 'utf8') };
      });
  }
  const key = readSecret(file, file);
  return [{ kid: fingerprint(key), key }];
}

function readPem(file: string, where: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserInputError(
      'CONFIG_INVALID',
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { where },
    );
  }
}

/** The checkpoint signing key: an Ed25519 private key, PEM. */
export function loadSigningKey(file: string, where: string): KeyObject {
  let k: KeyObject;
  try {
    k = createPrivateKey(readPem(file, where));
  } catch (e) {
    if (e instanceof UserInputError) throw e;
    throw new UserInputError('CONFIG_INVALID', `${file} is not a PEM private key`, { where });
  }
  if (k.asymmetricKeyType !== 'ed25519')
    throw new UserInputError(
      'CONFIG_INVALID',
      `${file} is a ${k.asymmetricKeyType} key; checkpoints are signed with Ed25519`,
      { where },
    );
  return k;
}

/** The checkpoint verification key: an Ed25519 public key PEM (a private key PEM works too). */
export function loadPublicKey(file: string): KeyObject {
  let k: KeyObject;
  try {
    k = createPublicKey(readPem(file, file));
  } catch (e) {
    if (e instanceof UserInputError) throw e;
    throw new UserInputError('CLI_BAD_KEY', 'not a PEM public key', { where: file });
  }
  if (k.asymmetricKeyType !== 'ed25519')
    throw new UserInputError('CLI_BAD_KEY', `an ${k.asymmetricKeyType} key, expected Ed25519`, {
      where: file,
    });
  return k;
}
