package compiler

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/compiler/channel"
	"github.com/stixcel/stixcel/plan"
)

func TestSelects(t *testing.T) {
	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)
	tax := channel.DefaultTaxonomy()
	tests := []struct {
		name      string
		logSource string
		selector  string
		want      plan.Selects
	}{
		{name: "event code", logSource: "WinEventLog:Sysmon", selector: `has(event.EventCode) && event.EventCode == 10`, want: plan.SelectsEventType},
		{name: "event codes unguarded", logSource: "WinEventLog:Security", selector: `event.EventCode in [4663, 4670]`, want: plan.SelectsEventType},
		{name: "constant on the left", logSource: "WinEventLog:Security", selector: `4688 == event.EventCode`, want: plan.SelectsEventType},
		{name: "syscall", logSource: "auditd:SYSCALL", selector: `has(event.syscall) && event.syscall == "execve"`, want: plan.SelectsEventType},
		{name: "another source's event-type field", logSource: "azure:audit", selector: `has(event.Operation) && event.Operation in ["Add device"]`, want: plan.SelectsEventType},
		{name: "listed event-type field, other case", logSource: "azure:signinlogs", selector: `has(event.OperationName) && event.OperationName == "x"`, want: plan.SelectsEventType},
		{name: "sub-log", logSource: "macos:unifiedlog", selector: `has(event.subsystem) && event.subsystem == "com.apple.TCC"`, want: plan.SelectsEventType},
		{name: "log source and event code", logSource: "WinEventLog:Sysmon", selector: `event.log_source == "WinEventLog:Sysmon" && event.EventCode == 1`, want: plan.SelectsEventType},
		{name: "index syntax", logSource: "WinEventLog:Sysmon", selector: `"EventCode" in event && event["EventCode"] == 1`, want: plan.SelectsEventType},
		{name: "cmdlet name", logSource: "WinEventLog:PowerShell", selector: `has(event.CmdletName) && event.CmdletName in ["Get-Recipient", "Get-User"]`, want: plan.SelectsContent},
		{name: "process name", logSource: "macos:unifiedlog", selector: `has(event.process) && event.process == "sshd"`, want: plan.SelectsContent},
		{name: "event code and image", logSource: "WinEventLog:Sysmon", selector: `event.EventCode == 1 && event.Image.endsWith("cmd.exe")`, want: plan.SelectsContent},
		{name: "presence of a content field", logSource: "WinEventLog:Sysmon", selector: `has(event.EventCode) && has(event.CommandLine)`, want: plan.SelectsContent},
		{name: "comparison with a non-constant", logSource: "WinEventLog:Sysmon", selector: `event.EventCode == event.Other`, want: plan.SelectsContent},
		{name: "negation", logSource: "WinEventLog:Sysmon", selector: `!(event.EventCode == 1)`, want: plan.SelectsContent},
		{name: "an event-type field name of any source", logSource: "WinEventLog:Sysmon", selector: `event.table == "x"`, want: plan.SelectsEventType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ast, iss := env.Compile(tc.selector)
			require.NoError(t, iss.Err())
			got := selects(tax, tc.logSource, readTests(ast.NativeRep().Expr()))
			assert.Equal(t, tc.want, got, "selects(%s, %s)", tc.logSource, tc.selector)
		})
	}
}
