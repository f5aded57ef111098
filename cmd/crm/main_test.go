package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// runCRM runs the command in-process, as main does, and returns its exit
// status and what it printed. DATABASE_URL is unset, so a command that
// went past its command line to the database fails with status 1.
func runCRM(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Setenv("DATABASE_URL", "")
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// commands: every subcommand and the flags its help must name.
var commands = []struct {
	args  []string
	flags []string
}{
	{[]string{"serve"}, []string{"--addr", "--no-migrate"}},
	{[]string{"migrate"}, nil},
	{[]string{"user", "add"}, []string{"--username", "--password", "--name", "--role", "--department"}},
	{[]string{"user"}, []string{"--username", "--password", "--name", "--role", "--department"}},
	{[]string{"seed-demo"}, nil},
	{[]string{"demo", "purge"}, nil},
	{[]string{"demo"}, nil},
	{[]string{"gen"}, []string{"--customers", "--seed", "--password", "--if-empty"}},
	{[]string{"import"}, []string{"--table", "--file", "--as", "--dry-run", "--on-error", "--existing", "--lang", "--revert"}},
}

// TestHelp: --help and -h exit 0 with the help on stdout, for crm and for
// every subcommand, and name the subcommand's flags; so does crm help CMD.
func TestHelp(t *testing.T) {
	for _, h := range []string{"--help", "-h", "-help", "help"} {
		code, out, errs := runCRM(t, h)
		if code != 0 || errs != "" || !strings.Contains(out, "Usage:") {
			t.Errorf("crm %s: exit %d, stderr %q, stdout %q", h, code, errs, out)
		}
		for _, c := range commands {
			if !strings.Contains(out, "crm "+c.args[0]+" ") && !strings.Contains(out, "crm "+c.args[0]+"\n") {
				t.Errorf("crm %s does not name crm %s", h, c.args[0])
			}
		}
	}
	for _, c := range commands {
		name := strings.Join(c.args, " ")
		want := "Usage: crm " + name
		if len(c.args) == 1 && (c.args[0] == "user" || c.args[0] == "demo") {
			want = "Usage: crm " + name + " " // the help of its one subcommand
		}
		for _, args := range [][]string{
			append(append([]string{}, c.args...), "--help"),
			append(append([]string{}, c.args...), "-h"),
			append([]string{"help"}, c.args...),
		} {
			code, out, errs := runCRM(t, args...)
			if code != 0 || errs != "" {
				t.Errorf("crm %s: exit %d, stderr %q; want 0 and nothing", strings.Join(args, " "), code, errs)
				continue
			}
			if !strings.HasPrefix(out, want) {
				t.Errorf("crm %s: help %q does not start with %q", strings.Join(args, " "), out, want)
			}
			for _, f := range c.flags {
				if !regexp.MustCompile(`(?m)^  ` + f + `\b`).MatchString(out) {
					t.Errorf("crm %s: help does not list %s:\n%s", strings.Join(args, " "), f, out)
				}
			}
		}
	}
}

// TestEveryCommandCovered: each command the top-level usage lists is in
// commands, so a new subcommand gets its help tested.
func TestEveryCommandCovered(t *testing.T) {
	known := map[string]bool{"--help": true, "COMMAND": true}
	for _, c := range commands {
		known[c.args[0]] = true
	}
	for _, m := range regexp.MustCompile(`(?m)^  crm (\S+)`).FindAllStringSubmatch(usage, -1) {
		if !known[m[1]] {
			t.Errorf("crm %s is not in commands", m[1])
		}
	}
}

// TestUsageErrors: an unknown flag, a stray argument, an unknown or
// missing (sub)command exit 2 with the message and the usage on stderr,
// and reach no database.
func TestUsageErrors(t *testing.T) {
	cases := [][]string{
		{},
		{"--no-such-flag"},
		{"frobnicate"},
		{"help", "frobnicate"},
		{"user"},
		{"user", "frob"},
		{"demo"},
		{"demo", "frob"},
		{"migrate", "extra"},
		{"serve", "--addr"},
		{"gen", "--customers", "many"},
		{"user", "add", "--username", "ab"},
		{"import", "--table", "nosuch", "--file", "x.xlsx", "--as", "admin"},
		{"import", "--table", "customers"},
		{"import", "--table", "customers", "--file", "x.xlsx", "--as", "admin", "--on-error", "maybe"},
		{"import", "--revert", "7"},
	}
	for _, c := range commands {
		cases = append(cases, append(append([]string{}, c.args...), "--no-such-flag"))
	}
	for _, args := range cases {
		code, out, errs := runCRM(t, args...)
		if code != 2 || out != "" || !strings.HasPrefix(errs, "crm: ") || !strings.Contains(errs, "Usage:") {
			t.Errorf("crm %s: exit %d, stdout %q, stderr %q; want 2 and the usage on stderr", strings.Join(args, " "), code, out, errs)
		}
		if args := strings.Join(args, " "); strings.HasSuffix(args, "--no-such-flag") && !strings.Contains(errs, "--no-such-flag") {
			t.Errorf("crm %s: stderr %q does not name the flag", args, errs)
		}
	}
}

// TestFailure: a command whose command line is right but whose work
// fails exits 1 with the reason on stderr.
func TestFailure(t *testing.T) {
	for _, args := range [][]string{{"migrate"}, {"seed-demo"}, {"demo", "purge"}} {
		code, out, errs := runCRM(t, args...)
		if code != 1 || out != "" || !strings.Contains(errs, "DATABASE_URL is not set") {
			t.Errorf("crm %s: exit %d, stdout %q, stderr %q; want 1 and DATABASE_URL is not set", strings.Join(args, " "), code, out, errs)
		}
	}
}
