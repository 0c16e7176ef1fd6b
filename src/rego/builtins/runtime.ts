// opa.runtime (OPA topdown/runtime.go): the runtime's environment, version and configuration.
// OPA returns {} when it was not given runtime information, which is what the gateway gives:
// policies run on untrusted MCP traffic and must not read the proxy's environment variables or
// configuration (credentials live there).
type Fn = (...args: any[]) => unknown;

export const runtimeBuiltins: Record<string, Fn> = {
  'opa.runtime': () => ({}),
};
