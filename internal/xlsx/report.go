package xlsx

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/postgres"
)

// Options are the importer's two choices.
type Options struct {
	// OnError: "block" (default) — any row with an error writes nothing;
	// "skip" — rows with errors are left out, the others written.
	OnError string `json:"on_error"`
	// Existing: "skip" (default) — rows whose key matches a record leave
	// it alone; "update" — they update it.
	Existing string `json:"existing"`
}

// Norm fills the defaults and drops unknown values.
func (o Options) Norm() Options {
	if o.OnError != "skip" {
		o.OnError = "block"
	}
	if o.Existing != "update" {
		o.Existing = "skip"
	}
	return o
}

// The limits of a report: how many rows the preview shows, how many
// errors are kept (the rest are counted).
const (
	PreviewRows = 20
	MaxErrors   = 10000
)

// RowError is one problem of one row: row is the row's number in the
// sheet (the header is row 1), field the column ("" for the row as a
// whole), and the message a catalog key with its arguments.
type RowError struct {
	Row   int      `json:"row"`
	Field string   `json:"field,omitempty"`
	Key   string   `json:"key"`
	Args  []string `json:"args,omitempty"`
	// ArgsEN replaces Args in English where they differ (allowed values).
	ArgsEN []string `json:"args_en,omitempty"`
}

// PreviewRow is one of the first rows of the file as the preview shows
// it: what a commit would do with it, and its cells.
type PreviewRow struct {
	Row    int      `json:"row"`
	Action string   `json:"action"` // new, update, skip, error
	Cells  []string `json:"cells"`  // one per column of the table
	// Warn names the fields of the row's warnings.
	Warn []string `json:"warn,omitempty"`
}

// Report is the outcome of validating (and perhaps committing) a file:
// the counts, the errors, the first rows.
type Report struct {
	Table    string           `json:"table"`
	Options  Options          `json:"options"`
	Counts   crm.ImportCounts `json:"counts"`
	Examples int              `json:"examples,omitempty"` // example rows recognised and left out
	Errors   []RowError       `json:"errors"`
	// MoreErrors counts the errors beyond MaxErrors that were not kept.
	MoreErrors int `json:"more_errors,omitempty"`
	// Warnings are what the user should check but that blocks nothing (a
	// phone number Excel stored as a number), as many as MaxErrors;
	// MoreWarnings counts the rest.
	Warnings     []RowError   `json:"warnings,omitempty"`
	MoreWarnings int          `json:"more_warnings,omitempty"`
	Preview      []PreviewRow `json:"preview"`
	// Sheet is the sheet read (the first visible one); OtherSheets the
	// workbook's other sheets, not read.
	Sheet       string     `json:"sheet,omitempty"`
	OtherSheets []SheetRef `json:"other_sheets,omitempty"`
	// Committed is set when the rows were written; Blocked when a commit
	// wrote nothing because rows had errors and errors block.
	Committed bool `json:"committed,omitempty"`
	Blocked   bool `json:"blocked,omitempty"`
	// Passwords is the number of employees given an initial password.
	Passwords int `json:"passwords,omitempty"`
}

// ParseReport reads a report stored with a job.
func ParseReport(b []byte) (*Report, error) {
	var r Report
	if len(b) == 0 {
		return &r, nil
	}
	err := json.Unmarshal(b, &r)
	return &r, err
}

// JSON is the report as stored with its job.
func (r *Report) JSON() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return b
}

func (r *Report) addError(e RowError) {
	if len(r.Errors) >= MaxErrors {
		r.MoreErrors++
		return
	}
	r.Errors = append(r.Errors, e)
}

func (r *Report) addWarning(e RowError) {
	if len(r.Warnings) >= MaxErrors {
		r.MoreWarnings++
		return
	}
	r.Warnings = append(r.Warnings, e)
}

// SheetLine says which sheet was read, and names the others (hidden ones
// marked), in l; "" for a report that does not know (older jobs).
func (r *Report) SheetLine(l i18n.Locale) string {
	if r.Sheet == "" {
		return ""
	}
	if len(r.OtherSheets) == 0 {
		return i18n.T(l, "import.sheet_read", r.Sheet)
	}
	names := make([]string, len(r.OtherSheets))
	for i, o := range r.OtherSheets {
		names[i] = o.Name
		if o.Hidden {
			names[i] = i18n.T(l, "import.sheet_hidden", o.Name)
		}
	}
	sep := "、"
	if l == i18n.EN {
		sep = ", "
	}
	return i18n.T(l, "import.sheet_read_others", r.Sheet, strings.Join(names, sep))
}

// Message is a row error as the user reads it: 第N行 「列名」：what is wrong.
func (e RowError) Message(t *Table, l i18n.Locale) string {
	what := e.What(l)
	if c := t.Col(e.Field); c != nil {
		return i18n.T(l, "import.row_error", e.Row, HeaderLabel(c, l), what)
	}
	return i18n.T(l, "import.row_error_row", e.Row, what)
}

// What is the problem alone, without the row and column.
func (e RowError) What(l i18n.Locale) string {
	args := e.Args
	if l == i18n.EN && e.ArgsEN != nil {
		args = e.ArgsEN
	}
	a := make([]any, len(args))
	for i, s := range args {
		a[i] = s
	}
	return i18n.T(l, e.Key, a...)
}

// Column is the error's column header in l ("" for the row as a whole).
func (e RowError) Column(t *Table, l i18n.Locale) string {
	if c := t.Col(e.Field); c != nil {
		return HeaderLabel(c, l)
	}
	return ""
}

// WriteText prints the report as the command line shows it: the counts,
// the sheet read, every error, then every warning, in l.
func (r *Report) WriteText(w io.Writer, l i18n.Locale) error {
	t := TableByName(r.Table)
	if t == nil {
		return fmt.Errorf("xlsx: unknown table %q", r.Table)
	}
	c := r.Counts
	var b strings.Builder
	b.WriteString(i18n.T(l, "import.text.summary", i18n.T(l, t.Label), c.Total, c.New, c.Update, c.Skip, c.Error) + "\n")
	if line := r.SheetLine(l); line != "" {
		b.WriteString(line + "\n")
	}
	if r.Examples > 0 {
		b.WriteString(i18n.T(l, "import.examples_ignored", r.Examples) + "\n")
	}
	if c.Unchanged > 0 {
		b.WriteString(i18n.T(l, "import.unchanged", c.Unchanged) + "\n")
	}
	for _, e := range r.Errors {
		b.WriteString(e.Message(t, l) + "\n")
	}
	if r.MoreErrors > 0 {
		b.WriteString(i18n.T(l, "import.more_errors", r.MoreErrors) + "\n")
	}
	for _, w := range r.Warnings {
		b.WriteString(i18n.T(l, "import.text.warning", w.Message(t, l)) + "\n")
	}
	if r.MoreWarnings > 0 {
		b.WriteString(i18n.T(l, "import.more_warnings", r.MoreWarnings) + "\n")
	}
	switch {
	case r.Committed:
		b.WriteString(i18n.T(l, "import.text.committed") + "\n")
	case r.Blocked:
		b.WriteString(i18n.T(l, "import.text.blocked") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// BlockerMessage is a reason a revert is held back, as the user reads it.
func BlockerMessage(b postgres.ImportBlocker, l i18n.Locale) string {
	switch {
	case b.Kind == postgres.BlockDependents:
		dep := b.Table
		if i18n.Has("import.dep." + b.Table) {
			dep = i18n.T(l, "import.dep."+b.Table)
		}
		return i18n.T(l, "import.block.dependents", b.Record, dep, b.Count)
	case b.Job != 0:
		return i18n.T(l, "import.block.changed_by_import", b.Record, b.Job)
	case b.Action == "":
		return i18n.T(l, "import.block.no_values", b.Record)
	}
	if b.At == nil {
		return i18n.T(l, "import.block.changed_plain", b.Record)
	}
	at := b.At.In(crm.Zone).Format("2006-01-02 15:04")
	return i18n.T(l, "import.block.changed", b.Record, b.Actor, at, i18n.T(l, "history.action."+b.Action))
}
