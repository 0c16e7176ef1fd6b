// Usage texts, kept apart from the commands so `warden --help` loads no compiler or WASM.
export const BUILD_USAGE = 'warden policy build DIR [-o FILE] [-e ENTRYPOINT]... [--v0-compatible]';
export const EVAL_USAGE =
  'warden policy eval (DIR|BUNDLE) [QUERY] [-e ENTRYPOINT] [-d FILE]... [--input FILE|-] [--format json|pretty|values] [--v0-compatible]';
export const TEST_USAGE =
  'warden policy test DIR [-v] [-r REGEX] [--format pretty|json] [--coverage [--threshold N]] [--v0-compatible]';
export const BENCH_USAGE =
  'warden policy bench (DIR|BUNDLE) [QUERY] [-e ENTRYPOINT] [-d FILE]... [--input FILE|-] [--count N] [--format pretty|json] [--v0-compatible]';
export const CHECK_USAGE = 'warden policy check DIR [--strict] [--v0-compatible]';
export const FMT_USAGE =
  'warden policy fmt (DIR|FILE)... [-w | -l | -d] [--fail] [--v0-compatible]';
export const REPLAY_USAGE =
  'warden policy replay (DIR|BUNDLE) --log FILE [-e ENTRYPOINT] [--format table|json] [--fail-on-change] [--v0-compatible]';

export const POLICY_COMMANDS = 'build, eval, test, bench, check, fmt or replay';

export const POLICY_HELP = `usage:
  ${BUILD_USAGE}
      compile the Rego in DIR (tests excluded) to an OPA bundle (default ./bundle.tar.gz;
      default entrypoint mcp/authz/decision); prints the file, its size and the build time;
      refuses (file:line:col) a call of a builtin nothing implements
  ${EVAL_USAGE}
      evaluate an entrypoint, a data path (data.mcp.authz.allow) or, for a directory, a query
      expression; -d adds JSON/YAML data (merged at the root of data) or .rego files; prints
      [{"result": ...}], or [] when undefined; print() output goes to stderr
  ${TEST_USAGE}
      run every test_* rule in DIR (like \`opa test\`); prints each failure with its print()
      output (every test, its duration and trace notes with -v) and ends with
      "N passed, N failed"; exit 1 on any failure; -r selects tests by name; --coverage
      reports covered lines per file (exit 2 below --threshold percent)
  ${BENCH_USAGE}
      evaluate repeatedly and print ns/op (like \`opa bench\`)
  ${CHECK_USAGE}
      parse and compile-check without building; every problem as file:line:col: message;
      --strict adds OPA's strict-mode checks (unused vars and imports, shadowed input/data)
  ${FMT_USAGE}
      lay Rego out as \`opa fmt\` does (tabs, spacing; comments and rule order kept): print
      the result, or -w write it back, -l list the files that change, -d print a diff;
      --fail: exit 1 when any would change
  ${REPLAY_USAGE}
      re-decide every tools/call of an audit log or OPA decision log with this policy; print
      each decision that changes and "N replayed, N changed (N newly denied, N newly allowed)";
      exit 1 with --fail-on-change when any changed
  --v0-compatible (every command) reads the Rego as v0, as OPA 1.x's flag of that name
`;

export const HELP = `warden — a policy-enforcing gateway for MCP servers

usage:
  warden serve [--config FILE] [--host H] [--port N]   run the gateway
      [--log-level LEVEL] [--log-format json|pretty]
  warden check [--config FILE] [--probe]                 validate the config without serving
  warden policy ${POLICY_COMMANDS.replace(/, | or /g, '|')} ...
                                                         author, test and replay Rego policies
  warden registry [--config FILE]                        print the merged capability manifest
  warden audit verify FILE                               check an audit log's hash chain
      [--key FILE] [--checkpoints FILE --public-key FILE]  its HMACs; its ends, by signed checkpoints
  warden --help | --version

${POLICY_HELP}
exit status: 0 ok, 1 test failures, changed replay decisions or broken audit chain,
2 bad arguments/files/Rego, 70 internal error
`;
