package diag

// Diagnostic codes: the rule ids of lint's SARIF output and the "code" of its JSON output.
// Each is a stable name; a code's meaning may widen, its string never changes.
const (
	// Input files and their YAML.

	CodeIO           = "stixcel_io"            // a file or directory could not be read
	CodeYAMLSyntax   = "stixcel_yaml_syntax"   // the file is not valid YAML, or holds several documents
	CodeDuplicateKey = "stixcel_duplicate_key" // a mapping repeats a key
	CodeUnknownKey   = "stixcel_unknown_key"   // a key the format does not have
	CodeMissingKey   = "stixcel_missing_key"   // a required key is absent
	CodeBadShape     = "stixcel_bad_shape"     // a value of the wrong kind (list for map, ...)
	CodeBadValue     = "stixcel_bad_value"     // a value of the right kind that is not allowed
	CodeDuplicate    = "stixcel_duplicate"     // the same analytic or test name twice
	CodeMissingFile  = "stixcel_missing_file"  // a test's events file cannot be opened
	CodeBadTaxonomy  = "stixcel_bad_taxonomy"  // a log source taxonomy file is invalid
	CodeBadBundle    = "stixcel_bad_bundle"    // an ATT&CK bundle is not JSON, not a bundle, or holds an invalid object
	CodeBundleGap    = "stixcel_bundle_gap"    // a bundle object lacks a field or points at one not loaded; loading goes on

	// Analytics, bindings and parameters.

	CodeUnknownAnalytic   = "stixcel_unknown_analytic"   // a binding or setting names an analytic no bundle has
	CodeUnknownParam      = "stixcel_unknown_param"      // a setting or test names a parameter the analytic lacks
	CodeUnknownChannel    = "stixcel_unknown_channel"    // a binding names a channel the analytic lacks
	CodeMissingValue      = "stixcel_missing_value"      // a parameter a binding needs has no value
	CodeBadWindow         = "stixcel_bad_window"         // a window is neither a parameter nor a duration
	CodeWrittenFor        = "stixcel_written_for"        // a binding was written for another version of the analytic; review it
	CodeTechniqueMismatch = "stixcel_technique_mismatch" // a binding names a technique the bundle's strategy does not detect
	CodeBindingDrift      = "stixcel_binding_drift"      // a binding written for another version does not fit; not applied
	CodeChannelMoved      = "stixcel_channel_moved"      // a channel's log source or position changed since the binding was written; not applied
	CodeUnboundAlerting   = "stixcel_unbound_alerting"   // derived channels of a binding would alert on their own

	// CEL expressions.

	CodeSyntaxError = "stixcel_syntax_error" // a CEL expression does not parse
	CodeTypeError   = "stixcel_type_error"   // a CEL expression or value does not have the type wanted
	CodeCost        = "stixcel_cost"         // a CEL expression may cost more than the limit
	CodeProgram     = "stixcel_program"      // a CEL expression checks but cannot be planned: a constant regular expression, conversion or literal is invalid
	CodeInternal    = "stixcel_internal"     // stixcel failed, not the input: a bug to report
)
