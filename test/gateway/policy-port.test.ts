// The gateway's policy port compiles the configured entrypoint, not only the default one.
// NEEDS THE REGO COMPILER (src/rego).

import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyDecider, toDecision } from '../../src/gateway/policy-port.ts';
import type { PolicyInput } from '../../src/policy/input.ts';

describe('loadPolicyDecider', () => {
  it('compiles and evaluates a non-default entrypoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-ep-'));
    writeFileSync(
      join(dir, 'custom.rego'),
      [
        'package acme.gate',
        '',
        'default verdict := {"allow": false, "reasons": ["only echo"]}',
        '',
        'verdict := {"allow": true, "reasons": []} if input.tool.name == "echo"',
        '',
      ].join('\n'),
    );
    const p = await loadPolicyDecider(dir, 'acme/gate/verdict');
    const input = (name: string) => ({ tool: { name } }) as unknown as PolicyInput;
    expect(p.decide(input('echo'))).toEqual({ allow: true, reasons: [] });
    expect(p.decide(input('rm'))).toEqual({ allow: false, reasons: ['only echo'] });
  });

  it('treats a malformed result as a denial', () => {
    expect(toDecision({ allow: 'yes' })).toEqual({
      allow: false,
      reasons: ['policy returned no decision'],
    });
  });
});
