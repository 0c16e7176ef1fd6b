# Tests of the extension examples: extension_package_test.rego (a team package under
# data.mcp.policies), extension_same_package_test.rego (more `deny` in package mcp.authz) and
# extension_walk_test.rego (a search of the arguments at any depth).
package mcp.extension_test

import data.mcp.authz

prod_call(args) := {
	"method": "tools/call",
	"upstream": "prod",
	"tool_name": "prod.query",
	"tool": {"name": "prod.query", "scope": "prod:read", "destructive": false},
	"arguments": args,
	"arguments_size": 2,
	"arguments_depth": 4,
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

test_walk_finds_a_credential_at_any_depth if {
	args := {
		"change_ticket": "CHG-3",
		"request": {"headers": [{"x": "1"}, {"authorization": "ghp_0123456789abcdefghijklmnopqrstuvwxyz"}]},
	}
	d := authz.decision with input as prod_call(args)
	d == {"allow": false, "reasons": ["argument request.headers.1.authorization looks like a credential"]}
}

test_walk_silent_without_credentials if {
	args := {"change_ticket": "CHG-4", "request": {"headers": [{"x": "AKIA-not-a-key"}]}}
	d := authz.decision with input as prod_call(args)
	d == {"allow": true, "reasons": []}
}

test_walk_refuses_deep_arguments_without_walking_them if {
	i := object.union(prod_call({"change_ticket": "CHG-5"}), {"arguments_depth": 33})
	d := authz.decision with input as i
	d == {"allow": false, "reasons": ["arguments nest deeper than 32 levels"]}
}
