// The MCP JSON schemas of every spec revision (/work/shared/schemas/mcp, copies of
// schema/<rev>/schema.json in modelcontextprotocol/modelcontextprotocol), compiled with ajv.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv } from 'ajv';

/** The full MCP schema of a revision (/work/shared/schemas/mcp), its Tool definition. */
export function specToolValidator(rev: string) {
  const doc = JSON.parse(readFileSync(`/work/shared/schemas/mcp/${rev}.schema.json`, 'utf8'));
  const key = doc.definitions ? 'definitions' : '$defs';
  const a = key === 'definitions' ? new Ajv({ strict: false }) : new Ajv2020({ strict: false });
  a.addSchema(doc, 'mcp');
  return a.getSchema(`mcp#/${key}/Tool`)!;
}
