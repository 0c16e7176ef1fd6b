# A worked example of a per-group rule on the richer input (policies/README.md, "The input
# document"): token claims the gateway passes with `auth.policy_claims: [groups]` arrive as
# input.subject.claims, and allow-listed headers (`policy.input_headers: [x-tenant]`) as
# input.headers. Pattern 1 of "Adding a policy": a team package under data.mcp.policies that
# only adds `deny` reasons; its tests are in extension_groups_tests_test.rego. A *_test.rego
# file only so that `warden policy build` never ships the example.
package mcp.policies.example_groups

# The `finance` upstream is for members of the finance group only.
deny contains "finance tools are for the finance group" if {
	input.upstream == "finance"
	not "finance" in groups
}

# Its destructive tools additionally need a tenant header naming the caller's own tenant.
deny contains "finance changes need the caller's own x-tenant header" if {
	input.upstream == "finance"
	input.tool.destructive
	input.headers["x-tenant"] != object.get(input.subject, ["claims", "tenant"], "")
}

deny contains "finance changes need the caller's own x-tenant header" if {
	input.upstream == "finance"
	input.tool.destructive
	not input.headers["x-tenant"]
}

# Absent when the gateway was not configured to pass the claim, or the token lacks it.
groups := object.get(input.subject, ["claims", "groups"], [])
