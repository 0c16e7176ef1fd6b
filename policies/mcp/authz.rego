# mcp-warden's shipped authorization policy.
#
# The gateway evaluates `data.mcp.authz.decision` for every tools/call, and once per tool to
# filter a tools/list answer. The input document is described field by field in
# policies/README.md; src/policy/input.ts builds it and holds a TypeScript twin of these rules
# (`decideInTs`) that a differential test keeps in step with this file.
#
# A decision is `{"allow": bool, "reasons": [string]}`: `reasons` is sorted and `allow` is true
# iff it is empty. Reasons come from `deny` rules: the four below, any `deny` rule another file
# adds to this package, and any `deny` rule in a package under `data.mcp.policies` (see
# "Adding a policy" in policies/README.md). Nothing here is allow-listing: a call is allowed
# when nobody objects, so a rule that fails to match can never open access by itself.
package mcp.authz

# Defaults for the limits. Precedence: `input.limits` (the gateway passes its own config, so
# warden.yaml wins) › `data.mcp.config` (a bundle's data.json) › these values.
defaults := {
	"max_payload_bytes": 8192, # warden.yaml limits.max_payload_bytes
	"approval_max_age_s": 300, # warden.yaml auth.approval.max_age_s
	"approval_scope": "approved:by:human", # warden.yaml auth.approval.scope
	"clock_skew_s": 30, # an approval stamped this far in the future still counts
}

# `else` instead of object.get: core language only, so no host-builtin round trip per lookup.
setting(key) := value if {
	value := input.limits[key]
} else := value if {
	value := data.mcp.config[key]
} else := defaults[key]

# ---- decision -------------------------------------------------------------------------------

# Derived from the reasons, never decided on its own: a denial always says why.
default allow := false

allow if reasons == []

# sort() turns the set into an array in a stable order, so callers and audit records see the
# same reasons in the same order whatever the evaluation order. sort() is a call out of the
# WASM module to the host, so it is made only when there are two reasons or more: the common
# cases (none, or one) stay inside the module. (count() is native.)
reasons := [] if {
	count(all_reasons) == 0
} else := [only] if {
	count(all_reasons) == 1
	some only in all_reasons
} else := sort(all_reasons)

decision := {"allow": allow, "reasons": reasons}

all_reasons contains msg if {
	some msg in deny
}

# Separate packages let a security team add rules without clashing with helper names here.
all_reasons contains msg if {
	msg := data.mcp.policies[_].deny[_]
}

# ---- the tool -------------------------------------------------------------------------------

# The registry's descriptor is present only when the tool exists (the gateway omits it or
# passes null otherwise).
known_tool if input.tool.name != ""

requested_name := name if {
	name := input.tool_name
} else := name if {
	name := input.tool.name
} else := "(unnamed)"

deny contains sprintf("no such tool: %s", [requested_name]) if not known_tool

# ---- scopes ---------------------------------------------------------------------------------

# A tool with no scope (absent or "") requires none; the registry normally gives every tool
# one (config › manifest › upstream default_scope). Several reasons may hold at once: all are
# reported, so a client learns everything it must fix in one round trip.
deny contains sprintf("missing scope: %s", [scope]) if {
	known_tool
	scope := input.tool.scope
	scope != ""
	not has_scope(scope)
}

# Scope hierarchy (MCP 2026-07-28 asks resource servers to account for one): a held scope that
# ends in ":*" covers every scope beginning with the text before the "*", at any depth, so
# `postgres:*` covers `postgres:query:readonly` and `postgres:query:*` covers
# `postgres:query:readonly` but not `postgres:admin`. `postgres:*` does not cover `postgres`
# (nor `postgresql:x`), and a lone "*" is not a super-scope.
#
# Exact match first: the wildcard branch needs string builtins (calls out of the WASM module to
# the host), so it only runs when no held scope equals the required one.
has_scope(required) := true if {
	required in input.subject.scopes
} else := true if {
	some held in input.subject.scopes
	endswith(held, ":*")
	startswith(required, trim_suffix(held, "*"))
}

# ---- human approval -------------------------------------------------------------------------

# Destructive unless the registry says `false`: MCP's destructiveHint defaults to true, and an
# absent flag should cost an approval, not skip one. (Written with `not … == false` because
# `!=` on an absent field is undefined, which would skip the check.)
destructive if not input.tool.destructive == false

# Listing is not invoking: on tools/list the tool stays visible to a token that holds its scope,
# so the client can ask a human and step up before it calls. Any other method (or none) needs
# the approval.
listing if input.method == "tools/list"

needs_approval if {
	known_tool
	destructive
	not listing
}

deny contains "destructive tool requires fresh human approval" if {
	needs_approval
	not fresh_approval
}

# Fresh: the approval scope is held and the approval is at most max age old (exactly max age
# is fresh) and not stamped more than the skew allowance in the future (clocks of the issuer
# and the gateway differ a little; much more than that is a forged or broken stamp). Times are
# unix seconds; an absent time or approval time is never fresh, and so is one that is not a
# non-negative number (a string or an ISO date is no approval stamp, RFC 7519 §2 NumericDate).
fresh_approval if {
	has_scope(setting("approval_scope"))
	is_number(input.subject.approved_at)
	input.subject.approved_at >= 0
	age := input.time - input.subject.approved_at
	age <= setting("approval_max_age_s")
	age >= 0 - setting("clock_skew_s")
}

# ---- payload size ---------------------------------------------------------------------------

# `arguments_size` is the UTF-8 byte length of the arguments' JSON encoding, measured by the
# gateway (Rego has no builtin that counts UTF-8 bytes of a canonical encoding); the gateway
# always sets it, so an input without it is a hand-written one and is not size-checked.
deny contains sprintf("payload too large (> %d bytes)", [setting("max_payload_bytes")]) if {
	input.arguments_size > setting("max_payload_bytes")
}
