// Checkpoints to an HTTP collector (a real node:http server): the same NDJSON delivery as
// records, through their own spool; every checkpoint the collector receives verifies with the
// public key and names the head the log file holds.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditor, parseAuditConfig } from '../../src/audit/index.ts';
import { checkpointValid, type Checkpoint } from '../../src/audit/checkpoints.ts';
import { input, tempDir } from './helpers.ts';

describe('checkpoint sinks', () => {
  it('delivers signed checkpoints to an HTTP collector', async () => {
    const got: Checkpoint[] = [];
    const srv = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        for (const l of body.split('\n').filter(Boolean)) got.push(JSON.parse(l) as Checkpoint);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
    const dir = tempDir();
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const priv = join(dir, 'cp.pem');
    writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const path = join(dir, 'audit.jsonl');
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/cp`;
    const a = await createAuditor(
      parseAuditConfig({
        chain_key: 'a chain key of sufficient length',
        checkpoints: { signing_key: priv, every_records: 2, sinks: [{ type: 'http', url }] },
        sinks: [{ type: 'file', path }],
        spool: { dir: join(dir, 'spool') },
      }),
    );
    for (let i = 0; i < 5; i++) await a.record(input(i));
    await a.close();
    srv.close();
    const last = JSON.parse(readFileSync(path, 'utf8').trimEnd().split('\n').at(-1)!) as {
      seq: number;
      hash: string;
      kid: string;
    };
    expect(got.map((c) => c.event)).toContain('interval');
    expect(got[0]).toMatchObject({ event: 'start', first_seq: 0, kid: last.kid });
    expect(got.at(-1)).toMatchObject({ event: 'stop', seq: last.seq, hash: last.hash });
    for (const c of got) expect(checkpointValid(c, publicKey)).toBe(true);
    expect(checkpointValid({ ...got[0], seq: 3 }, publicKey)).toBe(false);
  });
});
