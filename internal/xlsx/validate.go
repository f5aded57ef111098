package xlsx

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/postgres"
)

// chunkSize is how many rows are checked together: one look-up per
// relation and one for existing keys per chunk, and one COPY into the
// staging table.
const chunkSize = 1000

// Example rows of the template start their first filled cell with one of
// these marks; the preview recognises and leaves them out.
var exampleMarks = []string{"【示例】", "[示例]", "[example]", "【example】"}

// value is one cell read as its column's kind.
type value struct {
	text string // the cleaned cell ("" when empty)
	ok   bool   // filled and readable
	num  decimal.Decimal
	at   *time.Time
	id   int64  // an option's id
	str  string // a choice's or role's value; a relation's normalised name
	b    bool
	m    postgres.ImportMatch // a relation's record
}

// row is one data row on its way through the checks.
type row struct {
	num   int
	cells []string // per column of the table, cleaned
	vals  []value
	out   []any // per staged column
	errs  []RowError
	exist *postgres.ImportMatch // the record its key matches
	// refs are relations to rows of the same file (a parent department
	// further down), checked when the whole file is read.
	refs map[int]string
	// secret is an employee's initial password (commit only).
	secret string
	// cont: the row left its group's cell blank and continues the group
	// of the row above (carryGroup).
	cont bool
	// warns are the row's warnings: shown, not blocking.
	warns []RowError
	// shown replaces cells the preview cannot show as they are (control
	// characters), by column.
	shown map[int]string
}

func (r *row) warn(field, key string, args ...string) {
	r.warns = append(r.warns, RowError{Row: r.num, Field: field, Key: key, Args: args})
}

func (r *row) show(col int, s string) {
	if r.shown == nil {
		r.shown = map[int]string{}
	}
	r.shown[col] = s
}

// maxChars is the most characters a cell of c may hold: the column's own
// limit, or the reader's (Limits.MaxCellChars) when that is lower or the
// column has none — the limit every "too long" message states.
func (v *validator) maxChars(c *Column) int {
	most := v.sh.limits.MaxCellChars
	if c.Kind == KindText && c.Max > 0 && c.Max < most {
		most = c.Max
	}
	return most
}

func (r *row) fail(field, key string, args ...string) {
	r.errs = append(r.errs, RowError{Row: r.num, Field: field, Key: key, Args: args})
}

func (r *row) failEN(field, key string, args, argsEN []string) {
	r.errs = append(r.errs, RowError{Row: r.num, Field: field, Key: key, Args: args, ArgsEN: argsEN})
}

// validator checks the rows of one file for one importer, in chunks, and
// (at commit) stages the good ones.
type validator struct {
	t      *Table
	a      crm.Actor
	s      *postgres.ImportSession
	sh     *sheet
	opts   Options
	commit bool
	rep    *Report
	// options: kind → normalised name (either language) → id; and the
	// allowed names for messages.
	options map[crm.OptionKind]map[string]int64
	allowed map[crm.OptionKind][2][]string
	cache   map[postgres.ImportRelation]map[string]postgres.ImportMatch
	seen    map[string]int // a row's duplicate key → the first row with it
	// blocked is set at commit once a row has an error and errors block:
	// nothing more is staged, but every row is still checked.
	blocked   bool
	passwords []Password
	now       time.Time
	// groups: a group's value (an order's number) → the first row of the
	// group, to find a group whose rows are not together.
	groups map[string]int
	// above is the row read last, for the next one to continue its group.
	above groupRow
	// paid: the confirmed payments of the file so far, by order.
	paid map[int64]decimal.Decimal
	// progress, when set, hears how many rows have been checked.
	progress func(done int)
	// job is the import job a commit writes for.
	job int64
}

// cleanCell trims a cell as every text is trimmed (full-width spaces too).
func cleanCell(s string) string { return crm.CleanText(s) }

// run reads the rest of the sheet and checks every row.
func (v *validator) run(ctx context.Context) error {
	opts, err := v.s.Options(ctx)
	if err != nil {
		return err
	}
	v.options = map[crm.OptionKind]map[string]int64{}
	v.allowed = map[crm.OptionKind][2][]string{}
	for kind, list := range opts {
		m := map[string]int64{}
		var zh, en []string
		for _, o := range list {
			m[normValue(o.Name)] = o.ID
			if o.NameEn != "" {
				m[normValue(o.NameEn)] = o.ID
			}
			zh = append(zh, o.Name)
			en = append(en, o.Label(true))
		}
		v.options[kind] = m
		v.allowed[kind] = [2][]string{zh, en}
	}
	v.rep.Sheet, v.rep.OtherSheets = v.sh.name, v.sh.others
	v.cache = map[postgres.ImportRelation]map[string]postgres.ImportMatch{}
	v.seen = map[string]int{}
	v.now = time.Now()
	// A table whose rows may name each other (departments) is checked in
	// one piece; the others chunk by chunk, so memory stays flat.
	whole := false
	for _, c := range v.t.Columns {
		whole = whole || c.SelfRef
	}
	v.groups = map[string]int{}
	v.paid = map[int64]decimal.Decimal{}
	// The file is read and each row parsed (no database) by a goroutine of
	// its own, a few chunks ahead, while this one checks the rows against
	// the database and writes them: the reading (CPU) and the database
	// overlap.
	rctx, stop := context.WithCancel(ctx)
	rows := make(chan *row, 2*chunkSize)
	var readErr error
	go func() {
		defer close(rows)
		for {
			cells, ok, err := v.sh.next()
			if err != nil {
				readErr = err
				return
			}
			if !ok {
				return
			}
			r := v.newRow(cells)
			if r == nil {
				continue
			}
			v.parse(r)
			select {
			case rows <- r:
			case <-rctx.Done():
				return
			}
		}
	}()
	err = v.consume(ctx, rows, whole)
	stop()
	for range rows { // the reader has stopped when rows is closed
	}
	if err != nil {
		return err
	}
	if readErr != nil {
		return readErr
	}
	if v.rep.Counts.Total == 0 {
		return fileErr("import.file.no_rows")
	}
	return nil
}

// consume checks the rows read, chunk by chunk. A chunk ends between two
// groups (an order's lines stay together), unless a group alone is far
// too long to be one.
func (v *validator) consume(ctx context.Context, rows <-chan *row, whole bool) error {
	var chunk []*row
	for r := range rows {
		if v.rep.Counts.Total++; v.rep.Counts.Total > v.sh.limits.MaxRows {
			return fileErr("import.file.too_many_rows", v.sh.limits.MaxRows)
		}
		v.carryGroup(r)
		if n := len(chunk); !whole && n >= chunkSize && (n >= 4*chunkSize || !v.sameGroup(chunk[n-1], r)) {
			if err := v.process(ctx, chunk); err != nil {
				return err
			}
			chunk = make([]*row, 0, chunkSize)
		}
		chunk = append(chunk, r)
	}
	return v.process(ctx, chunk)
}

// sameGroup reports whether rows a and b belong to one group (the lines
// of one order).
func (v *validator) sameGroup(a, b *row) bool {
	if v.t.GroupBy == "" {
		return false
	}
	i := v.t.index[v.t.GroupBy]
	return a.cells[i] != "" && a.cells[i] == b.cells[i]
}

func normValue(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(cleanCell(s)), " "))
}

// newRow maps a row of the file onto the table's columns; nil for a blank
// row or one of the template's examples (counted).
func (v *validator) newRow(cells []string) *row {
	t := v.t
	r := &row{num: v.sh.num, cells: make([]string, len(t.Columns))}
	filled := false
	first := ""
	bad := v.sh.cur.bad
	for i, raw := range cells {
		c := cleanCell(raw)
		if c == "" || (i < len(v.sh.fileCol) && v.sh.fileCol[i] == errorColumn) {
			continue
		}
		filled = true
		if first == "" {
			first = strings.ToLower(c)
		}
		if i >= len(v.sh.fileCol) || v.sh.fileCol[i] < 0 {
			if !r.hasError("") { // once a row is enough
				r.fail("", "import.err.no_header_column", colName(i))
			}
			continue
		}
		if _, ok := bad[i]; ok {
			continue // reported below
		}
		col := v.sh.fileCol[i]
		// No text that PostgreSQL refuses (NUL) or that nobody means to
		// store (other control characters, which Excel writes escaped as
		// _x0001_) goes further than here: not into a look-up, not into
		// the report, not into a record.
		if key, arg := badText(c); key != "" {
			if arg != "" {
				r.fail(t.Columns[col].Field, key, arg)
			} else {
				r.fail(t.Columns[col].Field, key)
			}
			r.show(col, shorten(strings.Map(visible, strings.ToValidUTF8(c, "\ufffd")), 200))
			continue
		}
		if n, most := utf8.RuneCountInString(c), v.maxChars(&t.Columns[col]); n > most {
			r.fail(t.Columns[col].Field, "import.err.too_long", strconv.Itoa(n), strconv.Itoa(most))
			continue
		}
		r.cells[col] = c
	}
	// Formula cells that cannot be read are errors, even when they read as
	// empty (a formula never calculated).
	for i, b := range bad {
		if i < len(v.sh.fileCol) && v.sh.fileCol[i] >= 0 {
			if b.key == "import.err.formula_error" {
				r.fail(t.Columns[v.sh.fileCol[i]].Field, b.key, b.value)
			} else {
				r.fail(t.Columns[v.sh.fileCol[i]].Field, b.key)
			}
			filled = true
		}
	}
	if !filled {
		return nil
	}
	for _, m := range exampleMarks {
		if strings.HasPrefix(first, m) {
			v.rep.Examples++
			return nil
		}
	}
	return r
}

// process checks a chunk of rows: each cell alone, then the relations
// (one look-up per relation for the whole chunk), then each row as a
// whole, duplicates within the file, existing records (one look-up), and
// records the outcome.
func (v *validator) process(ctx context.Context, chunk []*row) error {
	if len(chunk) == 0 {
		return nil
	}
	t := v.t
	if err := v.lookup(ctx, chunk); err != nil {
		return err
	}
	for _, r := range chunk {
		v.resolve(r)
	}
	v.selfRefs(chunk)
	for _, r := range chunk {
		if len(r.errs) == 0 {
			r.out = make([]any, len(t.Target.Columns))
			t.build(&builder{v: v, r: r})
		}
	}
	if t.groups != nil {
		v.eachGroup(chunk, t.groups)
	}
	// Duplicates within the file.
	for _, r := range chunk {
		if len(r.errs) > 0 || len(t.Dup) == 0 {
			continue
		}
		k := r.key(t, t.Dup)
		if first, dup := v.seen[k]; dup {
			r.fail(t.keyField(), "import.err.duplicate", strconv.Itoa(first))
			continue
		}
		v.seen[k] = r.num
	}
	if err := v.existing(ctx, chunk); err != nil {
		return err
	}
	if t.settle != nil {
		t.settle(v, chunk)
	}
	if err := v.record(ctx, chunk); err != nil {
		return err
	}
	if v.progress != nil {
		v.progress(v.rep.Counts.Total)
	}
	return nil
}

// eachGroup calls fn with each run of consecutive rows of the same group
// (a row without a group value is a group of its own).
func (v *validator) eachGroup(chunk []*row, fn func(v *validator, rows []*row)) {
	for i := 0; i < len(chunk); {
		j := i + 1
		for j < len(chunk) && v.sameGroup(chunk[i], chunk[j]) {
			j++
		}
		fn(v, chunk[i:j])
		i = j
	}
}

// key is the row's tuple of the staged columns cols, joined.
func (r *row) key(t *Table, cols []string) string {
	parts := make([]any, len(cols))
	for i, c := range cols {
		parts[i] = r.out[t.outIdx[c]]
	}
	return postgres.ImportKey(parts...)
}

// keyField is the column a duplicate is reported on: the first required
// text column (the name).
func (t *Table) keyField() string {
	for _, c := range t.Columns {
		if c.Required && c.Kind == KindText {
			return c.Field
		}
	}
	return t.Columns[0].Field
}

// parse reads each cell as its column's kind.
func (v *validator) parse(r *row) {
	r.vals = make([]value, len(v.t.Columns))
	for i := range v.t.Columns {
		c := &v.t.Columns[i]
		s := r.cells[i]
		val := &r.vals[i]
		val.text = s
		if s == "" {
			if c.Required && !c.Group && !r.hasError(c.Field) {
				r.fail(c.Field, "import.err.required")
			}
			continue
		}
		switch c.Kind {
		case KindText: // its length is checked as the row is read (newRow)
			v.parseText(r, c, i, val, s)
		case KindNumber:
			v.parseNumberCell(r, c, i, val, s)
		case KindMoney:
			v.parseMoneyCell(r, c, i, val, s)
		case KindDate:
			v.parseDateCell(r, c, i, val, s)
		case KindDateTime:
			v.parseDateTimeCell(r, c, i, val, s)
		case KindOption:
			v.parseOption(r, c, i, val, s)
		case KindChoice, KindRole:
			v.parseChoice(r, c, i, val, s)
		case KindBool:
			v.parseBoolCell(r, c, i, val, s)
		case KindRelation:
			v.parseRelation(r, c, i, val, s)
		}
	}
}

// parseText reads a cell of a KindText column.
func (v *validator) parseText(r *row, c *Column, i int, val *value, s string) {
	switch c.Format {
	case "username":
		s = strings.ToLower(s)
		if !validUsername(s) {
			r.fail(c.Field, "import.err.username", s)
			return
		}
		val.text = s
	case "email":
		if !validEmail(s) {
			r.fail(c.Field, "import.err.email", s)
			return
		}
	case "phone":
		// A phone number that Excel took for a number: its digits
		// are gone when it shows as 1.38E+10; a number cell may
		// have lost a leading 0 (said, not refused).
		if scientific(s) {
			r.fail(c.Field, "import.err.phone_scientific", s)
			return
		}
		if v.sh.cur.isNumber(v.sh.fileOf[i]) {
			r.warn(c.Field, "import.warn.phone_number", s)
		}
	}
	val.ok = true
}

// parseNumberCell reads a cell of a KindNumber column.
func (v *validator) parseNumberCell(r *row, c *Column, i int, val *value, s string) {
	var d decimal.Decimal
	var ok bool
	switch c.Format {
	case "discount":
		if d, ok = parseDiscount(s); !ok {
			r.fail(c.Field, "import.err.discount", s)
			return
		}
	case "quantity":
		if d, ok = parseQuantity(s); !ok {
			r.fail(c.Field, "import.err.quantity", s)
			return
		}
	default:
		if d, ok = parseNumber(s); !ok {
			r.fail(c.Field, "import.err.number", s)
			return
		}
	}
	val.num, val.ok = d, true
}

// parseMoneyCell reads a cell of a KindMoney column.
func (v *validator) parseMoneyCell(r *row, c *Column, i int, val *value, s string) {
	d, problem := parseMoney(s)
	if problem == "" && c.Format == "positive" && !d.IsPositive() {
		problem = "import.err.amount_positive"
	}
	switch problem {
	case "":
		val.num, val.ok = d, true
	case "error.money_format":
		r.fail(c.Field, "import.err.money", s)
	default:
		r.fail(c.Field, problem)
	}
}

// parseDateCell reads a cell of a KindDate column.
func (v *validator) parseDateCell(r *row, c *Column, i int, val *value, s string) {
	d, ok := parseDate(s, v.sh.date1904)
	if !ok {
		r.fail(c.Field, "import.err.date", s)
		return
	}
	val.at, val.ok = d, true
}

// parseDateTimeCell reads a cell of a KindDateTime column.
func (v *validator) parseDateTimeCell(r *row, c *Column, i int, val *value, s string) {
	d, ok := parseDateTime(s, v.sh.date1904)
	if !ok {
		r.fail(c.Field, "import.err.datetime", s)
		return
	}
	val.at, val.ok = d, true
}

// parseOption reads a cell of a KindOption column.
func (v *validator) parseOption(r *row, c *Column, i int, val *value, s string) {
	id, ok := v.options[c.Option][normValue(s)]
	if !ok {
		al := v.allowed[c.Option]
		r.failEN(c.Field, "import.err.option", []string{s, strings.Join(al[0], "、")}, []string{s, strings.Join(al[1], ", ")})
		return
	}
	val.id, val.ok = id, true
}

// parseChoice reads a cell of a KindChoice column.
func (v *validator) parseChoice(r *row, c *Column, i int, val *value, s string) {
	list := c.Choices
	if c.Kind == KindRole {
		list = roleChoices()
	}
	found := ""
	for _, ch := range list {
		if n := normValue(s); n == ch.Value || n == normValue(i18n.T(i18n.ZH, ch.Label)) || n == normValue(i18n.T(i18n.EN, ch.Label)) {
			found = ch.Value
			break
		}
	}
	if found == "" && c.Alias != nil {
		if code, ok := c.Alias(s); ok {
			found = code
		}
	}
	if found == "" {
		r.failEN(c.Field, "import.err.option", []string{s, choiceList(list, i18n.ZH)}, []string{s, choiceList(list, i18n.EN)})
		return
	}
	val.str, val.ok = found, true
}

// parseBoolCell reads a cell of a KindBool column.
func (v *validator) parseBoolCell(r *row, c *Column, i int, val *value, s string) {
	b, ok := parseBool(s)
	if !ok {
		r.fail(c.Field, "import.err.bool", s)
		return
	}
	val.b, val.ok = b, true
}

// parseRelation reads a cell of a KindRelation column.
func (v *validator) parseRelation(r *row, c *Column, i int, val *value, s string) {
	val.str = s
	if c.Rel == postgres.RelEmployee {
		val.str = strings.ToLower(s)
	}
}

func (r *row) hasError(field string) bool {
	for _, e := range r.errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

func roleChoices() []Choice {
	out := make([]Choice, len(crm.Roles))
	for i, role := range crm.Roles {
		out[i] = Choice{Value: string(role), Label: "role." + string(role)}
	}
	return out
}

func choiceList(list []Choice, l i18n.Locale) string {
	var names []string
	for _, c := range list {
		names = append(names, i18n.T(l, c.Label))
	}
	if l == i18n.EN {
		return strings.Join(names, ", ")
	}
	return strings.Join(names, "、")
}

// lookup resolves, per relation, the names of the chunk not seen before,
// in one query each.
func (v *validator) lookup(ctx context.Context, chunk []*row) error {
	want := map[postgres.ImportRelation][]string{}
	asked := map[postgres.ImportRelation]map[string]bool{}
	for i := range v.t.Columns {
		c := &v.t.Columns[i]
		if c.Kind != KindRelation {
			continue
		}
		cache := v.cache[c.Rel]
		if cache == nil {
			cache = map[string]postgres.ImportMatch{}
			v.cache[c.Rel] = cache
		}
		if asked[c.Rel] == nil {
			asked[c.Rel] = map[string]bool{}
		}
		for _, r := range chunk {
			name := r.vals[i].str
			if name == "" {
				continue
			}
			if _, known := cache[name]; !known && !asked[c.Rel][name] {
				asked[c.Rel][name] = true
				want[c.Rel] = append(want[c.Rel], name)
			}
		}
	}
	for rel, names := range want {
		found, err := v.s.Lookup(ctx, rel, names)
		if err != nil {
			return err
		}
		for _, n := range names {
			v.cache[rel][n] = found[n] // N == 0 when unknown
		}
	}
	return nil
}

// resolve turns a row's relation names into records: exactly one record
// the importer may view, else an error that says which way it failed.
func (v *validator) resolve(r *row) {
	for i := range v.t.Columns {
		c := &v.t.Columns[i]
		val := &r.vals[i]
		if c.Kind != KindRelation || val.str == "" {
			continue
		}
		m := v.cache[c.Rel][val.str]
		switch {
		case m.N == 0 && c.SelfRef:
			if r.refs == nil {
				r.refs = map[int]string{}
			}
			r.refs[i] = val.str
		case m.N == 0:
			r.fail(c.Field, notFoundKey(c.Rel), val.text)
		case m.N > 1:
			r.fail(c.Field, "import.err.ambiguous", val.text, strconv.Itoa(m.N))
		case c.ActiveOnly && !m.Active:
			r.fail(c.Field, "import.err.inactive", val.text)
		default:
			val.m, val.ok = m, true
		}
	}
}

// notFoundKey is the message for a name that names no record of rel.
func notFoundKey(rel postgres.ImportRelation) string {
	switch rel {
	case postgres.RelDepartment:
		return "import.err.not_found_department"
	case postgres.RelEmployee:
		return "import.err.not_found_employee"
	case postgres.RelCampaign:
		return "import.err.not_found_campaign"
	case postgres.RelCustomer:
		return "import.err.not_found_customer"
	case postgres.RelLead:
		return "import.err.not_found_lead"
	case postgres.RelOrder:
		return "import.err.not_found_order"
	}
	return "import.err.not_found_product"
}

// selfRefs checks the names that refer to rows of the same file (a parent
// department further down): the row named must be in the file without
// errors itself, and the references may not go round in a circle.
func (v *validator) selfRefs(chunk []*row) {
	key := v.t.keyField()
	ki := v.t.index[key]
	byName := map[string]*row{}
	for _, r := range chunk {
		if len(r.errs) == 0 {
			byName[r.vals[ki].text] = r
		}
	}
	for changed := true; changed; {
		changed = false
		for _, r := range chunk {
			if len(r.errs) > 0 || len(r.refs) == 0 {
				continue
			}
			for i, name := range r.refs {
				target, ok := byName[name]
				switch {
				case name == r.vals[ki].text:
					r.fail(v.t.Columns[i].Field, "import.err.self_parent")
				case !ok || len(target.errs) > 0:
					r.fail(v.t.Columns[i].Field, notFoundKey(v.t.Columns[i].Rel), name)
				}
			}
			if len(r.errs) > 0 {
				delete(byName, r.vals[ki].text)
				changed = true
			}
		}
	}
	// Circles among rows of the file: follow each row's parents.
	for _, r := range chunk {
		if len(r.errs) > 0 || len(r.refs) == 0 {
			continue
		}
		seen := map[*row]bool{r: true}
		for cur := r; ; {
			var next *row
			for _, name := range cur.refs {
				next = byName[name]
			}
			if next == nil {
				break
			}
			if seen[next] {
				if next == r {
					for i := range r.refs {
						r.fail(v.t.Columns[i].Field, "import.err.department_cycle", r.vals[ki].text)
					}
				}
				break
			}
			seen[next] = true
			cur = next
		}
	}
}

// existing finds, in one look-up, the records the chunk's keys match.
func (v *validator) existing(ctx context.Context, chunk []*row) error {
	t := v.t
	if len(t.Target.Keys) == 0 {
		return nil
	}
	var keys [][]any
	index := map[string]bool{}
	for _, r := range chunk {
		if len(r.errs) > 0 {
			continue
		}
		k := r.key(t, t.Target.Keys)
		if index[k] {
			continue
		}
		index[k] = true
		tuple := make([]any, len(t.Target.Keys))
		for i, c := range t.Target.Keys {
			tuple[i] = r.out[t.outIdx[c]]
		}
		keys = append(keys, tuple)
	}
	found, err := v.s.Existing(ctx, t.Target, keys)
	if err != nil {
		return err
	}
	for _, r := range chunk {
		if len(r.errs) > 0 {
			continue
		}
		m, ok := found[r.key(t, t.Target.Keys)]
		if !ok {
			continue
		}
		if m.N > 1 {
			r.fail(t.keyField(), "import.err.exists_ambiguous", strconv.Itoa(m.N))
			continue
		}
		r.exist = &m
		if v.opts.Existing == "update" && !v.mayUpdate(m) {
			r.fail(t.keyField(), "import.err.cannot_update")
		}
	}
	return nil
}

// mayUpdate reports whether the importer may update the record m.
func (v *validator) mayUpdate(m postgres.ImportMatch) bool {
	switch v.t.Resource {
	case "":
		return crm.CanManageOrganisation(v.a)
	case crm.ResProduct:
		return crm.CanManageProducts(v.a)
	}
	return crm.CanUpdate(v.a, crm.Record{Resource: v.t.Resource, OwnerID: m.OwnerID, DepartmentID: m.DepartmentID, CreatedBy: m.CreatedBy})
}

// record counts the chunk's rows, keeps their errors and the first rows
// for the preview, and at commit stages what is to be written.
func (v *validator) record(ctx context.Context, chunk []*row) error {
	var stage []*row
	for _, r := range chunk {
		action := "new"
		slices.SortStableFunc(r.errs, func(x, y RowError) int { return v.t.index[x.Field] - v.t.index[y.Field] })
		switch {
		case len(r.errs) > 0:
			action = "error"
			v.rep.Counts.Error++
			for _, e := range r.errs {
				v.rep.addError(e)
			}
			if v.opts.OnError == "block" {
				v.blocked = true
			}
		case r.exist != nil && v.opts.Existing == "update":
			action = "update"
			v.rep.Counts.Update++
			stage = append(stage, r)
		case r.exist != nil:
			action = "skip"
			v.rep.Counts.Skip++
		default:
			v.rep.Counts.New++
			stage = append(stage, r)
		}
		for _, w := range r.warns {
			v.rep.addWarning(w)
		}
		if len(v.rep.Preview) < PreviewRows {
			pr := PreviewRow{Row: r.num, Action: action, Cells: r.cells}
			if r.shown != nil {
				pr.Cells = slices.Clone(r.cells)
				for i, s := range r.shown {
					pr.Cells[i] = s
				}
			}
			for _, w := range r.warns {
				pr.Warn = append(pr.Warn, w.Field)
			}
			v.rep.Preview = append(v.rep.Preview, pr)
		}
	}
	if !v.commit || v.blocked || len(stage) == 0 {
		return nil
	}
	if v.t.prepare != nil {
		if err := v.t.prepare(v, stage); err != nil {
			return err
		}
	}
	rows := make([][]any, len(stage))
	for i, r := range stage {
		var id any
		if r.exist != nil {
			id = r.exist.ID
		}
		rows[i] = append([]any{r.num, id}, r.out...)
	}
	return v.s.Write(ctx, v.t.Target, v.job, rows)
}

// builder decides a row's staged values (Table.build).
type builder struct {
	v *validator
	r *row
}

func (b *builder) val(field string) value {
	if i, ok := b.v.t.index[field]; ok {
		return b.r.vals[i]
	}
	return value{}
}

func (b *builder) text(field string) string { return b.val(field).text }

func (b *builder) set(col string, x any) {
	i, ok := b.v.t.outIdx[col]
	if !ok {
		panic("xlsx: " + b.v.t.Name + " stages no column " + col)
	}
	b.r.out[i] = x
}

// id is a filled option or relation's id, or nil.
func (b *builder) id(field string) any {
	v := b.val(field)
	if !v.ok {
		return nil
	}
	if v.m.ID != 0 {
		return v.m.ID
	}
	if v.id != 0 {
		return v.id
	}
	return nil
}

// money is a filled amount, or 0.
func (b *builder) money(field string) decimal.Decimal { return b.val(field).num }

// day is a filled date, or nil.
func (b *builder) day(field string) any {
	if v := b.val(field); v.ok {
		return *v.at
	}
	return nil
}

// choice is a filled choice's value, or the column's default.
func (b *builder) choice(field string) string {
	if v := b.val(field); v.ok {
		return v.str
	}
	return b.v.t.Col(field).Default
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// own decides the ownership of a new record (SPEC §2): the owner named in
// the file (an employee the importer may assign to; the record goes to
// their department); else, for leads and customers with a department
// named, that department's pool (for those who may create into a pool);
// else the importer. The importer is always the creator.
func (b *builder) own(res crm.Resource) {
	a := b.v.a
	owner, dept := b.val("owner"), b.val("department")
	switch {
	case owner.ok:
		if !crm.CanAssignTo(a, owner.m.DepartmentID, owner.m.Role) {
			b.r.fail("owner", "import.err.assign_forbidden", owner.text)
			return
		}
		b.set("owner_id", owner.m.ID)
		b.set("department_id", nullID(owner.m.DepartmentID))
	case res.Pooled() && dept.ok:
		if !crm.CanCreateInPool(a, res) {
			b.r.fail("department", "import.err.pool_forbidden")
			return
		}
		if a.Role == crm.RoleSalesManager && !a.InScope(dept.m.ID) {
			b.r.fail("department", "import.err.pool_out_of_scope", dept.text)
			return
		}
		b.set("owner_id", nil)
		b.set("department_id", dept.m.ID)
	default:
		b.set("owner_id", a.ID)
		b.set("department_id", nullID(a.DepartmentID))
	}
	b.set("created_by", a.ID)
}

// under checks that the importer may add a record of kind res under the
// customer or lead m (crm.CanAddUnder) and copies its owner and
// department for the policy's rule 7.
func (b *builder) under(field string, parent crm.Resource, m postgres.ImportMatch, res crm.Resource) bool {
	rec := crm.Record{Resource: parent, OwnerID: m.OwnerID, DepartmentID: m.DepartmentID, CreatedBy: m.CreatedBy}
	if !crm.CanAddUnder(b.v.a, res, rec) {
		b.r.fail(field, "import.err.cannot_add_under", b.text(field))
		return false
	}
	b.set("customer_owner_id", nullID(m.OwnerID))
	b.set("customer_department_id", nullID(m.DepartmentID))
	return true
}

func buildDepartment(b *builder) {
	b.set("name", b.text("name"))
	b.set("parent_id", b.id("parent"))
	b.set("parent_name", b.text("parent"))
	b.set("head_id", b.id("head"))
}

func buildEmployee(b *builder) {
	b.set("username", b.text("username"))
	b.set("name", b.text("name"))
	b.set("department_id", b.id("department"))
	b.set("role", b.choice("role"))
	b.set("phone", b.text("phone"))
	b.set("email", b.text("email"))
	b.set("must_change_password", true)
}

func buildProduct(b *builder) {
	for _, f := range []string{"sku", "name", "category", "unit", "description"} {
		b.set(f, b.text(f))
	}
	b.set("list_price", b.money("list_price"))
	active := true
	if v := b.val("active"); v.ok {
		active = v.b
	}
	b.set("active", active)
	b.set("created_by", b.v.a.ID)
}

func buildCampaign(b *builder) {
	b.set("name", b.text("name"))
	b.set("type_id", b.id("type"))
	b.set("status", b.choice("status"))
	start, end := b.val("start_date"), b.val("end_date")
	if start.ok && end.ok && end.at.Before(*start.at) {
		b.r.fail("end_date", "import.err.end_before_start")
		return
	}
	b.set("start_date", b.day("start_date"))
	b.set("end_date", b.day("end_date"))
	b.set("budget", b.money("budget"))
	b.set("actual_cost", b.money("actual_cost"))
	b.set("description", b.text("description"))
	b.own(crm.ResCampaign)
}

func buildLead(b *builder) {
	for _, f := range []string{"name", "company", "title", "phone", "email", "notes"} {
		b.set(f, b.text(f))
	}
	b.set("source_id", b.id("source"))
	b.set("campaign_id", b.id("campaign"))
	b.set("status", b.choice("status"))
	b.set("next_follow_up_at", b.day("next_follow_up_at"))
	b.own(crm.ResLead)
}

func buildCustomer(b *builder) {
	for _, f := range []string{"name", "phone", "address", "notes"} {
		b.set(f, b.text(f))
	}
	b.set("level_id", b.id("level"))
	b.set("industry_id", b.id("industry"))
	b.set("source_id", b.id("source"))
	b.set("campaign_id", b.id("campaign"))
	b.own(crm.ResCustomer)
}

// buildContact: a customer's contacts belong to whoever owns the customer
// (claim, release and assign move them along), so a new contact takes the
// customer's owner and department; the importer is its creator.
func buildContact(b *builder) {
	cu := b.val("customer").m
	if !b.under("customer", crm.ResCustomer, cu, crm.ResContact) {
		return
	}
	b.set("customer_id", cu.ID)
	for _, f := range []string{"name", "title", "phone", "email", "notes"} {
		b.set(f, b.text(f))
	}
	b.set("owner_id", nullID(cu.OwnerID))
	b.set("department_id", nullID(cu.DepartmentID))
	b.set("created_by", b.v.a.ID)
}

// buildFollowUp: a follow-up concerns one lead or one customer; its author
// (跟进人) is the employee named, or the importer, and owns it; the
// importer is its creator.
func buildFollowUp(b *builder) {
	cu, ld := b.val("customer"), b.val("lead")
	if cu.ok == ld.ok {
		b.r.fail("customer", "import.err.one_parent")
		return
	}
	if cu.ok {
		if !b.under("customer", crm.ResCustomer, cu.m, crm.ResFollowUp) {
			return
		}
		b.set("customer_id", cu.m.ID)
		b.set("lead_id", nil)
	} else {
		if !b.under("lead", crm.ResLead, ld.m, crm.ResFollowUp) {
			return
		}
		b.set("lead_id", ld.m.ID)
		b.set("customer_id", nil)
	}
	followed := b.v.now
	if v := b.val("followed_at"); v.ok {
		followed = *v.at
	}
	if v := b.val("next_at"); v.ok && v.at.Before(followed) {
		b.r.fail("next_at", "import.err.next_before_followed")
		return
	}
	b.set("method_id", b.id("method"))
	b.set("content", b.text("content"))
	b.set("followed_at", followed)
	b.set("next_at", b.day("next_at"))
	if au := b.val("author"); au.ok {
		b.set("owner_id", au.m.ID)
		b.set("department_id", nullID(au.m.DepartmentID))
	} else {
		b.set("owner_id", b.v.a.ID)
		b.set("department_id", nullID(b.v.a.DepartmentID))
	}
	b.set("created_by", b.v.a.ID)
}

func buildOpportunity(b *builder) {
	cu := b.val("customer").m
	if !b.under("customer", crm.ResCustomer, cu, crm.ResOpportunity) {
		return
	}
	b.set("customer_id", cu.ID)
	b.set("name", b.text("name"))
	b.set("stage", b.choice("stage"))
	b.set("expected_amount", b.money("expected_amount"))
	b.set("expected_close", b.day("expected_close"))
	b.set("notes", b.text("notes"))
	b.own(crm.ResOpportunity)
}
