# Tests of the extension examples: extension_package_test.rego (a team package under
# data.mcp.policies) and extension_same_package_test.rego (more `deny` in package mcp.authz).
package mcp.extension_test

import data.mcp.authz

prod_call(args) := {
	"method": "tools/call",
	"upstream": "prod",
	"tool_name": "prod.query",
	"tool": {"name": "prod.query", "scope": "prod:read", "destructive": false},
	"arguments": args,
	"arguments_size": 2,
	"subject": {"sub": "a", "scopes": ["prod:read"]},
	"time": 1764000000,
}

test_team_package_reason_is_reported if {
	d := authz.decision with input as prod_call({})
	d == {"allow": false, "reasons": ["prod calls need a change_ticket argument"]}
}

test_team_package_reason_sorted_among_shipped_ones if {
	i := object.union(prod_call({}), {"subject": {"sub": "a", "scopes": []}})
	d := authz.decision with input as i
	d.reasons == ["missing scope: prod:read", "prod calls need a change_ticket argument"]
}

test_team_package_silent_when_satisfied if {
	d := authz.decision with input as prod_call({"change_ticket": "CHG-1"})
	d == {"allow": true, "reasons": []}
}

test_same_package_rule_adds_its_reason if {
	d := authz.decision with input as prod_call({"password": "x", "change_ticket": "CHG-2"})
	d == {"allow": false, "reasons": ["arguments must not carry a password"]}
}
