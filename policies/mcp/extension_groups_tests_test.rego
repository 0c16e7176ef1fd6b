# Tests of extension_groups_test.rego (a per-group rule on input.subject.claims and
# input.headers).
package mcp.extension_groups_test

import data.mcp.authz

finance_call(claims, headers, destructive) := {
	"method": "tools/call",
	"upstream": "finance",
	"tool_name": "finance.pay",
	"tool": {"name": "finance.pay", "scope": "finance:pay", "destructive": destructive},
	"arguments": {},
	"arguments_size": 2,
	"arguments_depth": 1,
	"subject": {
		"sub": "a",
		"scopes": ["finance:pay", "approved:by:human"],
		"approved_at": 1764000000,
		"claims": claims,
	},
	"headers": headers,
	"time": 1764000000,
}

test_group_member_reads if {
	d := authz.decision with input as finance_call({"groups": ["finance"]}, {}, false)
	d == {"allow": true, "reasons": []}
}

test_non_member_is_denied if {
	d := authz.decision with input as finance_call({"groups": ["sales"]}, {}, false)
	d.reasons == ["finance tools are for the finance group"]
}

test_token_without_the_claim_is_denied if {
	d := authz.decision with input as finance_call({}, {}, false)
	d.reasons == ["finance tools are for the finance group"]
}

test_destructive_needs_own_tenant_header if {
	claims := {"groups": ["finance"], "tenant": "acme"}
	ok := authz.decision with input as finance_call(claims, {"x-tenant": "acme"}, true)
	ok.allow
	other := authz.decision with input as finance_call(claims, {"x-tenant": "globex"}, true)
	other.reasons == ["finance changes need the caller's own x-tenant header"]
	none := authz.decision with input as finance_call(claims, {}, true)
	none.reasons == ["finance changes need the caller's own x-tenant header"]
}

test_other_upstreams_unaffected if {
	i := object.union(finance_call({}, {}, false), {"upstream": "tickets"})
	d := authz.decision with input as i
	d.allow
}
