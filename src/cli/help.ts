// Usage texts, kept apart from the commands so `warden --help` loads no compiler or WASM.
export const BUILD_USAGE = 'warden policy build DIR [-o FILE] [-e ENTRYPOINT]... [--v0-compatible]';
export const EVAL_USAGE =
  'warden policy eval (DIR|BUNDLE) [-e ENTRYPOINT] --input FILE|- [--v0-compatible]';
export const TEST_USAGE = 'warden policy test DIR [-v] [--v0-compatible]';

export const POLICY_HELP = `usage:
  ${BUILD_USAGE}
      compile the Rego in DIR (tests excluded) to an OPA bundle (default ./bundle.tar.gz;
      default entrypoint mcp/authz/decision); prints the file, its size and the build time
  ${EVAL_USAGE}
      evaluate an entrypoint of a policy directory or bundle (ours or \`opa build -t wasm\`);
      prints [{"result": ...}], or [] when undefined
  ${TEST_USAGE}
      run every test_* rule in DIR (like \`opa test\`); prints each failure and ends with
      "N passed, N failed"; exit 1 on any failure
  --v0-compatible (every command) reads the Rego as v0, as OPA 1.x's flag of that name
`;

export const HELP = `warden — a policy-enforcing gateway for MCP servers

usage:
  warden serve [--config FILE] [--host H] [--port N]   run the gateway
      [--log-level LEVEL] [--log-format json|pretty]
  warden check [--config FILE] [--probe]                 validate the config without serving
  warden policy build|eval|test ...                      compile, evaluate and test Rego policies
  warden registry [--config FILE]                        print the merged capability manifest
  warden audit verify FILE                               check an audit log's hash chain
      [--key FILE] [--checkpoints FILE --public-key FILE]  its HMACs; its ends, by signed checkpoints
  warden --help | --version

${POLICY_HELP}
exit status: 0 ok, 1 test failures or broken audit chain, 2 bad arguments/files/Rego,
70 internal error
`;
