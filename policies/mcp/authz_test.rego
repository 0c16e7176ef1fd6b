# Tests for policies/mcp/authz.rego. Run: `warden policy test policies`.
# Every reason of the contract and every edge (limits exactly met, approval exactly max age old,
# clock skew both ways, several reasons at once) has a test; the names say which.
package mcp.authz_test

import data.mcp.authz

now := 1764000000

query_tool := {
	"name": "db.query",
	"scope": "postgres:query:readonly",
	"destructive": false,
	"annotations": {"readOnlyHint": true},
}

ticket_tool := {
	"name": "tickets.create_ticket",
	"scope": "jira:write",
	"destructive": true,
	"annotations": {"destructiveHint": true},
}

reader := {"sub": "alice", "client_id": "cli", "scopes": ["postgres:query:readonly"]}

# A subject holding the ticket scope and a human approval given `age` seconds before `now`.
approver(age) := {
	"sub": "bob",
	"client_id": "cli",
	"scopes": ["jira:write", "approved:by:human"],
	"approved_at": now - age,
}

call_sized(tool, subject, size) := {
	"method": "tools/call",
	"upstream": "u",
	"tool_name": tool.name,
	"tool": tool,
	"arguments": {},
	"arguments_size": size,
	"subject": subject,
	"time": now,
	"request": {"id": 1, "route": "/mcp"},
}

call(tool, subject) := call_sized(tool, subject, 2)

# The input minus one field (core Rego, so the tests need no builtin beyond object.union).
without(obj, key) := {k: v | some k, v in obj; k != key}

allowed := {"allow": true, "reasons": []}

denied(reasons) := {"allow": false, "reasons": reasons}

# ---- allowed calls ----------------------------------------------------------------------------

test_readonly_tool_with_its_scope_is_allowed if {
	authz.decision == allowed with input as call(query_tool, reader)
}

test_non_destructive_tool_needs_no_approval if {
	# no approval scope, no approved_at: irrelevant for a non-destructive tool
	authz.decision == allowed with input as call(query_tool, {"sub": "a", "scopes": ["postgres:query:readonly"]})
}

test_tool_without_scope_requires_none if {
	tool := {"name": "u.ping", "scope": "", "destructive": false}
	authz.decision == allowed with input as call(tool, {"sub": "a", "scopes": []})
}

test_destructive_tool_with_fresh_approval_is_allowed if {
	authz.decision == allowed with input as call(ticket_tool, approver(10))
}

# ---- no such tool -----------------------------------------------------------------------------

test_unknown_tool_absent_descriptor if {
	i := without(call(query_tool, reader), "tool")
	authz.decision == denied(["no such tool: db.query"]) with input as i
}

test_unknown_tool_null_descriptor if {
	i := object.union(call(query_tool, reader), {"tool": null, "tool_name": "db.drop"})
	authz.decision == denied(["no such tool: db.drop"]) with input as i
}

test_unknown_tool_reports_no_scope_or_approval_reason if {
	# the scope and approval rules need a descriptor; an unknown tool gets exactly one reason
	i := without(call(ticket_tool, {"sub": "nobody"}), "tool")
	authz.decision == denied(["no such tool: tickets.create_ticket"]) with input as i
}

# ---- missing scope ----------------------------------------------------------------------------

test_missing_scope if {
	subject := {"sub": "a", "scopes": ["jira:read"]}
	authz.decision == denied(["missing scope: postgres:query:readonly"]) with input as call(query_tool, subject)
}

test_subject_without_scopes_field if {
	authz.decision == denied(["missing scope: postgres:query:readonly"]) with input as call(query_tool, {"sub": "a"})
}

test_no_subject_at_all if {
	i := without(call(query_tool, reader), "subject")
	authz.decision == denied(["missing scope: postgres:query:readonly"]) with input as i
}

# ---- scope hierarchy --------------------------------------------------------------------------

test_wildcard_scope_covers_descendants if {
	authz.decision == allowed with input as call(query_tool, {"sub": "a", "scopes": ["postgres:*"]})
}

test_nested_wildcard_scope if {
	authz.decision == allowed with input as call(query_tool, {"sub": "a", "scopes": ["postgres:query:*"]})
}

test_wildcard_does_not_cover_a_sibling if {
	subject := {"sub": "a", "scopes": ["postgres:admin:*"]}
	authz.decision == denied(["missing scope: postgres:query:readonly"]) with input as call(query_tool, subject)
}

test_wildcard_does_not_cover_a_longer_prefix if {
	# "postgres:*" covers "postgres:…", not "postgresql:…"
	tool := object.union(query_tool, {"scope": "postgresql:query"})
	subject := {"sub": "a", "scopes": ["postgres:*"]}
	authz.decision == denied(["missing scope: postgresql:query"]) with input as call(tool, subject)
}

test_wildcard_does_not_cover_its_own_stem if {
	tool := object.union(query_tool, {"scope": "postgres"})
	subject := {"sub": "a", "scopes": ["postgres:*"]}
	authz.decision == denied(["missing scope: postgres"]) with input as call(tool, subject)
}

test_lone_star_is_not_a_super_scope if {
	subject := {"sub": "a", "scopes": ["*"]}
	authz.decision == denied(["missing scope: postgres:query:readonly"]) with input as call(query_tool, subject)
}

# ---- human approval ---------------------------------------------------------------------------

approval_reason := "destructive tool requires fresh human approval"

test_destructive_without_approval_scope if {
	subject := {"sub": "b", "scopes": ["jira:write"], "approved_at": now}
	authz.decision == denied([approval_reason]) with input as call(ticket_tool, subject)
}

test_destructive_without_approval_time if {
	subject := {"sub": "b", "scopes": ["jira:write", "approved:by:human"]}
	authz.decision == denied([approval_reason]) with input as call(ticket_tool, subject)
}

test_approval_time_that_is_not_a_number_is_no_approval if {
	# a string, an ISO date or null is no approval stamp, however fresh it reads
	every at in [sprintf("%d", [now]), "2025-11-24T16:00:00Z", null, true, [now], {"t": now}] {
		subject := {"sub": "b", "scopes": ["jira:write", "approved:by:human"], "approved_at": at}
		authz.decision == denied([approval_reason]) with input as call(ticket_tool, subject)
	}
}

test_negative_approval_time_is_no_approval if {
	subject := {"sub": "b", "scopes": ["jira:write", "approved:by:human"], "approved_at": -1}
	authz.decision == denied([approval_reason]) with input as call(ticket_tool, subject)
}

test_approval_exactly_at_max_age_is_fresh if {
	authz.decision == allowed with input as call(ticket_tool, approver(300))
}

test_approval_one_second_past_max_age_is_stale if {
	authz.decision == denied([approval_reason]) with input as call(ticket_tool, approver(301))
}

test_approval_in_future_within_skew_is_fresh if {
	authz.decision == allowed with input as call(ticket_tool, approver(-30))
}

test_approval_in_future_beyond_skew_is_not_fresh if {
	authz.decision == denied([approval_reason]) with input as call(ticket_tool, approver(-31))
}

test_no_time_in_input_means_no_fresh_approval if {
	i := without(call(ticket_tool, approver(0)), "time")
	authz.decision == denied([approval_reason]) with input as i
}

test_absent_destructive_flag_counts_as_destructive if {
	tool := without(ticket_tool, "destructive")
	subject := {"sub": "b", "scopes": ["jira:write"]}
	authz.decision == denied([approval_reason]) with input as call(tool, subject)
}

test_wildcard_approval_scope if {
	subject := {"sub": "b", "scopes": ["jira:*", "approved:*"], "approved_at": now}
	authz.decision == allowed with input as call(ticket_tool, subject)
}

test_tools_list_does_not_need_approval if {
	i := object.union(call(ticket_tool, {"sub": "b", "scopes": ["jira:write"]}), {"method": "tools/list"})
	authz.decision == allowed with input as i
}

test_tools_list_still_needs_the_scope if {
	i := object.union(call(ticket_tool, {"sub": "b", "scopes": []}), {"method": "tools/list"})
	authz.decision == denied(["missing scope: jira:write"]) with input as i
}

test_absent_method_needs_approval if {
	i := without(call(ticket_tool, {"sub": "b", "scopes": ["jira:write"]}), "method")
	authz.decision == denied([approval_reason]) with input as i
}

# ---- payload size -----------------------------------------------------------------------------

test_payload_exactly_at_limit_is_allowed if {
	authz.decision == allowed with input as call_sized(query_tool, reader, 8192)
}

test_payload_one_byte_over_limit if {
	d := authz.decision with input as call_sized(query_tool, reader, 8193)
	d == denied(["payload too large (> 8192 bytes)"])
}

# ---- limits from input and from data ------------------------------------------------------------

test_input_limits_override_defaults if {
	i := object.union(call_sized(query_tool, reader, 101), {"limits": {"max_payload_bytes": 100}})
	authz.decision == denied(["payload too large (> 100 bytes)"]) with input as i
}

test_data_config_overrides_defaults if {
	d := authz.decision with input as call_sized(query_tool, reader, 51)
		with data.mcp.config as {"max_payload_bytes": 50}
	d == denied(["payload too large (> 50 bytes)"])
}

test_input_limits_win_over_data_config if {
	i := object.union(call_sized(query_tool, reader, 60), {"limits": {"max_payload_bytes": 100}})
	authz.decision == allowed with input as i with data.mcp.config as {"max_payload_bytes": 50}
}

test_configured_max_age if {
	i := object.union(call(ticket_tool, approver(61)), {"limits": {"approval_max_age_s": 60}})
	authz.decision == denied([approval_reason]) with input as i
	j := object.union(call(ticket_tool, approver(60)), {"limits": {"approval_max_age_s": 60}})
	authz.decision == allowed with input as j
}

test_configured_skew if {
	i := call(ticket_tool, approver(-5))
	authz.decision == denied([approval_reason]) with input as i with data.mcp.config as {"clock_skew_s": 4}
	authz.decision == allowed with input as i with data.mcp.config as {"clock_skew_s": 5}
}

test_configured_approval_scope if {
	subject := {"sub": "b", "scopes": ["jira:write", "approved:by:manager"], "approved_at": now}
	i := object.union(call(ticket_tool, subject), {"limits": {"approval_scope": "approved:by:manager"}})
	authz.decision == allowed with input as i
	authz.decision == denied([approval_reason]) with input as call(ticket_tool, subject)
}

# ---- several reasons at once ------------------------------------------------------------------

test_all_reasons_reported_sorted if {
	i := call_sized(ticket_tool, {"sub": "c", "scopes": ["postgres:*"]}, 9000)
	authz.decision == denied([
		"destructive tool requires fresh human approval",
		"missing scope: jira:write",
		"payload too large (> 8192 bytes)",
	]) with input as i
}

test_unknown_tool_and_payload_too_large if {
	i := without(call_sized(query_tool, reader, 10000), "tool")
	authz.decision == denied(["no such tool: db.query", "payload too large (> 8192 bytes)"]) with input as i
}
