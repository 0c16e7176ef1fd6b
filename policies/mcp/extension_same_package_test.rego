# A worked example of "Adding a policy" (policies/README.md), pattern 2: more `deny` rules in
# package mcp.authz itself, in a file of their own (tested in extension_test.rego). This file is
# a *_test.rego file only so that `warden policy build` never ships the example.
package mcp.authz

# Tool arguments must not carry a "password" member: credentials belong in the upstream's own
# configuration, never in a call a model composed.
deny contains "arguments must not carry a password" if {
	input.arguments.password
}
