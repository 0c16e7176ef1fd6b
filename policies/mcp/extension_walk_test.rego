# A worked example of "Adding a policy" (policies/README.md) that searches the arguments at any
# depth with `walk`: no call may carry what looks like a cloud or code-host credential, whether
# it is a top-level argument or buried in a list of headers. Its tests are in
# extension_test.rego. A *_test.rego file only so that `warden policy build` never ships it.
package mcp.policies.example_no_credentials

# AWS access key ids and GitHub personal access tokens.
credential := `^(AKIA[0-9A-Z]{16}|ghp_[A-Za-z0-9]{36})$`

# walk's work grows with the square of the nesting depth (every value comes with its path), so
# arguments from a client are bounded first: the gateway measures input.arguments_depth.
max_depth := 32

deny contains sprintf("arguments nest deeper than %d levels", [max_depth]) if {
	input.arguments_depth > max_depth
}

deny contains sprintf("argument %s looks like a credential", [concat(".", names)]) if {
	input.arguments_depth <= max_depth
	walk(input.arguments, [path, value])
	is_string(value)
	regex.match(credential, value)
	names := [sprintf("%v", [p]) | some p in path]
}
