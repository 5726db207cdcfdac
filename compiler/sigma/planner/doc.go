// Package planner turns Sigma rules into plans, the same artifact ATT&CK analytics compile
// into: one plan per detection rule (origin sigma, id the rule's UUID, one channel per log
// source target the mapping gives), its techniques from the rule's `attack.t…` tags, and the
// ATT&CK analytics of those techniques that read the same log source and data component.
//
// It sits after compiler/sigma (decoding), compiler/sigma/mapping (log sources) and
// compiler/sigma/cel (a detection as CEL) and before the runtime, which sees only plans.
// Every rule it cannot plan is a diagnostic at its file:line:col; nothing is left out
// silently, and the counts say how many rules went where (Stats).
package planner
