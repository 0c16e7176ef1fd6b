# A worked example of "Adding a policy" (policies/README.md), pattern 1: a team's own package
# under data.mcp.policies, holding only `deny` rules. Its tests live in extension_test.rego (a
# package of their own: a rule under data.mcp.policies must not depend on the decision, which
# reads every package there). This file is a *_test.rego file only so that `warden policy build`
# never ships the example.
package mcp.policies.example_change_ticket

# Calls into the `prod` upstream must name a change ticket.
deny contains "prod calls need a change_ticket argument" if {
	input.upstream == "prod"
	not input.arguments.change_ticket
}
