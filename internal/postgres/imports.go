package postgres

// Excel imports (数据初始化, SPEC §6). This file keeps the import jobs and
// runs one import's transaction: the batched look-ups that validate a file
// (names, usernames, SKUs and keys, many at a time, each within what the
// importer may view), the staging table its rows are copied into, and the
// set-based statements that write them with their history. internal/xlsx
// drives it: it reads and validates the file and decides every value; this
// file knows the SQL.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

// Import job statuses: a preview records the file and its report; a commit
// writes the rows and marks the job committed (once).
const (
	ImportPreviewed = "previewed"
	ImportCommitted = "committed"
)

// ImportCounts are an import's row counts. At preview New and Update say
// what a commit would do; after a commit they say what it did, and
// Unchanged counts the existing rows an update found identical (they are
// part of Skip).
type ImportCounts struct {
	Total     int `json:"total"` // data rows (blank and example rows left out)
	New       int `json:"new"`
	Update    int `json:"update"`
	Skip      int `json:"skip"`
	Error     int `json:"error"`
	Unchanged int `json:"unchanged,omitempty"`
}

// ImportJob is one upload and what became of it.
type ImportJob struct {
	ID            int64
	Table         string // the importable table's name (customers, …)
	FileName      string
	FileSize      int
	Status        string // ImportPreviewed or ImportCommitted
	OnError       string // block or skip
	Existing      string // skip or update
	Counts        ImportCounts
	Report        []byte // the validation report (JSON written by internal/xlsx)
	HasPasswords  bool   // an initial-password sheet waits for its one download
	CreatedBy     int64
	CreatedByName string
	CreatedAt     time.Time
	CommittedAt   *time.Time
}

// NewImportJob is what a preview records.
type NewImportJob struct {
	Table    string
	FileName string
	File     []byte
	OnError  string
	Existing string
	Counts   ImportCounts
	Report   []byte
}

const importJobColumns = `j.id, j.table_name, j.file_name, j.file_size, j.status, j.on_error, j.existing,
	j.rows_total, j.rows_new, j.rows_update, j.rows_skip, j.rows_error, j.report, j.passwords IS NOT NULL,
	j.created_by, coalesce(e.name, ''), j.created_at, j.committed_at`

// importJobListColumns leave the report out: the history lists counts,
// and a report may hold thousands of errors.
var importJobListColumns = strings.Replace(importJobColumns, "j.report", "NULL::jsonb", 1)

func scanImportJob(r pgx.CollectableRow) (ImportJob, error) {
	var j ImportJob
	err := r.Scan(&j.ID, &j.Table, &j.FileName, &j.FileSize, &j.Status, &j.OnError, &j.Existing,
		&j.Counts.Total, &j.Counts.New, &j.Counts.Update, &j.Counts.Skip, &j.Counts.Error, &j.Report, &j.HasPasswords,
		&j.CreatedBy, &j.CreatedByName, &j.CreatedAt, &j.CommittedAt)
	return j, err
}

// importJobScope is who may view an import job: its importer; admins view
// every job.
func importJobScope(a crm.Actor, alias string, args *Args) string {
	if a.IsZero() {
		return "FALSE"
	}
	if a.Role == crm.RoleAdmin {
		return "TRUE"
	}
	return alias + ".created_by = " + args.Add(a.ID)
}

// CreateImportJob records a previewed upload with its file and report and
// returns the job's id. EFORBIDDEN for an actor who may import nothing.
func (db *DB) CreateImportJob(ctx context.Context, a crm.Actor, j NewImportJob) (int64, error) {
	if !crm.CanImport(a, true) {
		return 0, crm.ErrForbidden
	}
	if j.Report == nil {
		j.Report = []byte(`{}`)
	}
	var id int64
	err := db.Pool.QueryRow(ctx, `/* postgres.CreateImportJob */
		INSERT INTO import_jobs (table_name, file_name, file, file_size, on_error, existing,
		                         rows_total, rows_new, rows_update, rows_skip, rows_error, report, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		j.Table, j.FileName, j.File, len(j.File), j.OnError, j.Existing,
		j.Counts.Total, j.Counts.New, j.Counts.Update, j.Counts.Skip, j.Counts.Error, j.Report, a.ID).Scan(&id)
	return id, translate(err)
}

// ImportJobByID returns a job a may view (their own; admins any);
// ENOTFOUND otherwise.
func (db *DB) ImportJobByID(ctx context.Context, a crm.Actor, id int64) (ImportJob, error) {
	var args Args
	cond := "j.id = " + args.Add(id) + " AND " + importJobScope(a, "j", &args)
	rows, err := db.Pool.Query(ctx, `/* postgres.ImportJobByID */ SELECT `+importJobColumns+`
		FROM import_jobs j LEFT JOIN employees e ON e.id = j.created_by WHERE `+cond, args.List...)
	if err != nil {
		return ImportJob{}, err
	}
	j, err := pgx.CollectExactlyOneRow(rows, scanImportJob)
	return j, translate(err)
}

// ImportJobFile returns the uploaded file of a job a may view; ENOTFOUND
// otherwise.
func (db *DB) ImportJobFile(ctx context.Context, a crm.Actor, id int64) ([]byte, error) {
	var args Args
	cond := "j.id = " + args.Add(id) + " AND " + importJobScope(a, "j", &args)
	var b []byte
	err := db.Pool.QueryRow(ctx, `/* postgres.ImportJobFile */ SELECT j.file FROM import_jobs j WHERE `+cond, args.List...).Scan(&b)
	return b, translate(err)
}

// FindImportJobs returns the latest import jobs a may view (导入记录),
// newest first, at most limit, without their reports.
func (db *DB) FindImportJobs(ctx context.Context, a crm.Actor, limit int) ([]ImportJob, error) {
	var args Args
	cond := importJobScope(a, "j", &args)
	rows, err := db.Pool.Query(ctx, `/* postgres.FindImportJobs */ SELECT `+importJobListColumns+`
		FROM import_jobs j LEFT JOIN employees e ON e.id = j.created_by WHERE `+cond+`
		ORDER BY j.created_at DESC, j.id DESC LIMIT `+strconv.Itoa(limit), args.List...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanImportJob)
}

// SaveImportReport replaces the report of a job that is still a preview
// (after a commit that errors blocked, or a new choice of options).
// ENOTFOUND unless a may view the job, EFORBIDDEN unless a uploaded it,
// ECONFLICT once it is committed.
func (db *DB) SaveImportReport(ctx context.Context, a crm.Actor, id int64, onError, existing string, c ImportCounts, report []byte) error {
	j, err := db.ImportJobByID(ctx, a, id)
	if err != nil {
		return err
	}
	if j.CreatedBy != a.ID {
		return crm.ErrForbidden
	}
	tag, err := db.Pool.Exec(ctx, `/* postgres.SaveImportReport */
		UPDATE import_jobs SET on_error = $2, existing = $3, rows_total = $4, rows_new = $5, rows_update = $6,
		       rows_skip = $7, rows_error = $8, report = $9, updated_at = now()
		WHERE id = $1 AND status = 'previewed'`, id, onError, existing, c.Total, c.New, c.Update, c.Skip, c.Error, report)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return crm.Errorf(crm.ECONFLICT, "import.already_committed")
	}
	return nil
}

// TakeImportPasswords returns the sheet of initial passwords an employee
// import generated and forgets it: it is shown once, to the importer only
// (ENOTFOUND for anyone else), and ECONFLICT "import.passwords_gone" after
// the first download.
func (db *DB) TakeImportPasswords(ctx context.Context, a crm.Actor, id int64) ([]byte, error) {
	var b []byte
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		var by int64
		if err := tx.QueryRow(ctx, `/* postgres.TakeImportPasswords lock */
			SELECT created_by, passwords FROM import_jobs WHERE id = $1 FOR UPDATE`, id).Scan(&by, &b); err != nil {
			return translate(err)
		}
		if by != a.ID {
			return crm.ErrNotFound
		}
		if b == nil {
			return crm.Errorf(crm.ECONFLICT, "import.passwords_gone")
		}
		_, err := tx.Exec(ctx, `/* postgres.TakeImportPasswords */
			UPDATE import_jobs SET passwords = NULL, updated_at = now() WHERE id = $1`, id)
		return err
	})
	return b, err
}

// ImportRelation names the kind of record an import cell refers to by its
// unique name, username or SKU.
type ImportRelation string

// The relations of the importable tables.
const (
	RelDepartment ImportRelation = "department" // by name
	RelEmployee   ImportRelation = "employee"   // by username
	RelCampaign   ImportRelation = "campaign"   // by name, among the campaigns the importer may view
	RelCustomer   ImportRelation = "customer"   // by name, among the customers the importer may view
	RelLead       ImportRelation = "lead"       // by name, among the leads the importer may view
	RelProduct    ImportRelation = "product"    // by SKU
)

// ImportMatch is what a look-up found for one name or key: how many
// records the importer may view match (0: unknown, more than 1:
// ambiguous), and the first of them with what the policy and the write
// paths need to know about it.
type ImportMatch struct {
	N            int
	ID           int64
	OwnerID      int64 // leads, customers and other owned records
	DepartmentID int64 // owned records: their department; employees: theirs
	CreatedBy    int64
	Role         crm.Role // employees
	Active       bool     // employees, products
}

// ImportKey joins the parts of a key (text and ids) into the string that
// the maps of Existing are keyed by.
func ImportKey(parts ...any) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('\x1f')
		}
		switch v := p.(type) {
		case nil:
		case string:
			b.WriteString(v)
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		default:
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// ImportColumn is one column of the staging table of an import and how it
// is written.
type ImportColumn struct {
	Name   string // the target table's column (or a staging-only helper)
	Type   string // its SQL type in the staging table: text, bigint, numeric, date, timestamptz, boolean
	Insert bool   // written when a row is new
	Update bool   // written when a row updates an existing record
	// Set is the value an update writes when it is not the staged one
	// (SQL over t, the record, and s, the staged row).
	Set string
	// History is the field key of the column in the record's history ("":
	// not shown); Display turns the column's value into the history's text
	// (SQL with %s for the value; "" for text as it is).
	History string
	Display string
}

// ImportTarget says how the rows of one importable table are written.
type ImportTarget struct {
	Table    string       // the SQL table
	Resource crm.Resource // its history's resource ("": no history, organisation tables)
	Owned    bool         // the table has owner_id, department_id and created_by (SPEC §2)
	Keys     []string     // the columns matching existing records (none: every row is new)
	Columns  []ImportColumn
	// ExtraSet is added to the SET of updates (the opportunities' stage clock).
	ExtraSet string
}

func (t ImportTarget) column(name string) (ImportColumn, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return ImportColumn{}, false
}

// ImportApplied says what the writes of an import did.
type ImportApplied struct {
	Inserted int
	Updated  int // existing records that changed
}

// ImportSession is one import's transaction: look-ups, staging and the
// writes. It is only valid inside the function given to RunImport.
type ImportSession struct {
	tx     pgx.Tx
	actor  crm.Actor
	write  bool
	staged bool
	// updates counts the staged rows that update an existing record.
	updates int
}

// RunImport runs fn in one import's transaction. A preview (write false)
// runs read-only at repeatable read: every look-up sees the same state and
// nothing can be written. A commit (write true) writes everything fn
// stages and applies in one transaction, committed when fn returns nil and
// rolled back otherwise — also when the connection drops or the process
// dies half-way, so that an interrupted import leaves the database as it
// was.
func (db *DB) RunImport(ctx context.Context, a crm.Actor, write bool, fn func(s *ImportSession) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	if write {
		opts = pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadWrite}
	}
	return pgx.BeginTxFunc(ctx, db.Pool, opts, func(tx pgx.Tx) error {
		return fn(&ImportSession{tx: tx, actor: a, write: write})
	})
}

// Options returns every value list, keyed by kind.
func (s *ImportSession) Options(ctx context.Context) (map[crm.OptionKind][]crm.Option, error) {
	rows, err := s.tx.Query(ctx, `/* postgres.ImportSession.Options */
		SELECT id, kind, name, name_en, position FROM options ORDER BY kind, position, id`)
	if err != nil {
		return nil, err
	}
	opts, err := pgx.CollectRows(rows, scanOption)
	if err != nil {
		return nil, err
	}
	out := map[crm.OptionKind][]crm.Option{}
	for _, o := range opts {
		out[o.Kind] = append(out[o.Kind], o)
	}
	return out, nil
}

// Lookup finds the records of kind rel named by names (exact, trimmed
// names; usernames in lower case), in one query: departments, employees
// and products among all; campaigns, customers and leads among those the
// importer may view (ViewScope), so that a name they may not view is
// simply unknown. Names without a match are absent from the answer.
func (s *ImportSession) Lookup(ctx context.Context, rel ImportRelation, names []string) (map[string]ImportMatch, error) {
	out := make(map[string]ImportMatch, len(names))
	if len(names) == 0 {
		return out, nil
	}
	var args Args
	list := args.Add(names) + "::text[]"
	var sql string
	switch rel {
	case RelDepartment:
		sql = `SELECT d.name, 1, d.id, 0::bigint, 0::bigint, 0::bigint, '', true
			FROM departments d WHERE d.name = ANY(` + list + `)`
	case RelEmployee:
		sql = `SELECT e.username, 1, e.id, 0::bigint, coalesce(e.department_id, 0), 0::bigint, e.role, e.active
			FROM employees e WHERE e.username = ANY(` + list + `)`
	case RelProduct:
		sql = `SELECT p.sku, 1, p.id, 0::bigint, 0::bigint, coalesce(p.created_by, 0), '', p.active
			FROM products p WHERE p.sku = ANY(` + list + `)`
	case RelCampaign, RelCustomer, RelLead:
		table, res := "campaigns", crm.ResCampaign
		if rel == RelCustomer {
			table, res = "customers", crm.ResCustomer
		} else if rel == RelLead {
			table, res = "leads", crm.ResLead
		}
		sql = `SELECT t.name, count(*), min(t.id), (array_agg(coalesce(t.owner_id, 0) ORDER BY t.id))[1],
			       (array_agg(coalesce(t.department_id, 0) ORDER BY t.id))[1], (array_agg(t.created_by ORDER BY t.id))[1], '', true
			FROM ` + table + ` t WHERE t.name = ANY(` + list + `) AND ` + ViewScope(s.actor, res, "t", &args) + `
			GROUP BY t.name`
	default:
		return nil, fmt.Errorf("postgres: unknown import relation %q", rel)
	}
	rows, err := s.tx.Query(ctx, `/* postgres.ImportSession.Lookup `+string(rel)+` */ `+sql, args.List...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, role string
		var m ImportMatch
		if err := rows.Scan(&name, &m.N, &m.ID, &m.OwnerID, &m.DepartmentID, &m.CreatedBy, &role, &m.Active); err != nil {
			return nil, err
		}
		m.Role = crm.Role(role)
		out[name] = m
	}
	return out, rows.Err()
}

// Existing finds the records of t that the importer may view matching
// each key (a tuple of t.Keys' values), in one query; the answer is keyed
// by ImportKey of the tuple, and keys without a match are absent.
func (s *ImportSession) Existing(ctx context.Context, t ImportTarget, keys [][]any) (map[string]ImportMatch, error) {
	out := make(map[string]ImportMatch, len(keys))
	if len(keys) == 0 || len(t.Keys) == 0 {
		return out, nil
	}
	var args Args
	var arrays, kcols, on []string
	for i, name := range t.Keys {
		c, ok := t.column(name)
		if !ok {
			return nil, fmt.Errorf("postgres: key column %s is not staged", name)
		}
		var arr any
		switch c.Type {
		case "bigint":
			v := make([]int64, len(keys))
			for j, k := range keys {
				v[j], _ = k[i].(int64)
			}
			arr = v
		default:
			v := make([]string, len(keys))
			for j, k := range keys {
				v[j], _ = k[i].(string)
			}
			arr = v
		}
		arrays = append(arrays, args.Add(arr)+"::"+c.Type+"[]")
		k := "k" + strconv.Itoa(i)
		kcols = append(kcols, "k."+k)
		on = append(on, "x."+name+" = k."+k)
	}
	owned := "0::bigint, 0::bigint, 0::bigint"
	if t.Owned {
		owned = `(array_agg(coalesce(x.owner_id, 0) ORDER BY x.id))[1], (array_agg(coalesce(x.department_id, 0) ORDER BY x.id))[1],
			(array_agg(x.created_by ORDER BY x.id))[1]`
	}
	scope := "TRUE"
	if t.Resource != "" {
		scope = ViewScope(s.actor, t.Resource, "x", &args)
	}
	var alias []string
	for i := range t.Keys {
		alias = append(alias, "k"+strconv.Itoa(i))
	}
	sql := `/* postgres.ImportSession.Existing ` + t.Table + ` */
		SELECT ` + strings.Join(kcols, ", ") + `, count(*), min(x.id), ` + owned + `
		FROM unnest(` + strings.Join(arrays, ", ") + `) AS k(` + strings.Join(alias, ", ") + `)
		JOIN ` + t.Table + ` x ON ` + strings.Join(on, " AND ") + `
		WHERE ` + scope + ` GROUP BY ` + strings.Join(kcols, ", ")
	rows, err := s.tx.Query(ctx, sql, args.List...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		n := len(t.Keys)
		m := ImportMatch{N: int(asInt64(vals[n])), ID: asInt64(vals[n+1]), OwnerID: asInt64(vals[n+2]),
			DepartmentID: asInt64(vals[n+3]), CreatedBy: asInt64(vals[n+4])}
		out[ImportKey(vals[:n]...)] = m
	}
	return out, rows.Err()
}

func asInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	}
	return 0
}

// stagingTable is the temporary table the rows of an import are copied
// into; it lives until the transaction ends.
const stagingTable = "import_stage"

// Stage copies rows into the staging table (created on the first call):
// each row is the file's row number, the id of the existing record it
// updates (nil: a new record), then t.Columns in order. One COPY per call:
// the caller stages a chunk of rows at a time.
func (s *ImportSession) Stage(ctx context.Context, t ImportTarget, rows [][]any) error {
	if !s.write {
		return fmt.Errorf("postgres: staging in a read-only import")
	}
	cols := []string{"row_no", "id"}
	for _, c := range t.Columns {
		cols = append(cols, c.Name)
	}
	if !s.staged {
		defs := []string{"row_no integer NOT NULL", "id bigint"}
		for _, c := range t.Columns {
			defs = append(defs, c.Name+" "+c.Type)
		}
		if _, err := s.tx.Exec(ctx, `/* postgres.ImportSession.Stage create */ CREATE TEMP TABLE `+stagingTable+
			` (`+strings.Join(defs, ", ")+`) ON COMMIT DROP`); err != nil {
			return err
		}
		s.staged = true
	}
	if len(rows) == 0 {
		return nil
	}
	for _, r := range rows {
		if r[1] != nil {
			s.updates++
		}
	}
	_, err := s.tx.CopyFrom(ctx, pgx.Identifier{stagingTable}, cols, pgx.CopyFromRows(rows))
	return err
}

// Apply writes the staged rows into t in a few set-based statements:
// every new row in one INSERT … SELECT, every update in one UPDATE … FROM
// (records whose values would not change are left alone), with one history
// entry per written record marked imported and naming the job (the hook
// for reverting an import). Then the table's own follow-up writes run (the
// department tree, primary contacts, the parents' follow-up times, the
// last administrator check).
func (s *ImportSession) Apply(ctx context.Context, t ImportTarget, jobID int64) (ImportApplied, error) {
	var res ImportApplied
	if !s.staged {
		if err := s.Stage(ctx, t, nil); err != nil {
			return res, err
		}
	}
	before, err := importBefore(ctx, s.tx, t)
	if err != nil {
		return res, err
	}
	if res.Inserted, err = s.insertStaged(ctx, t, jobID); err != nil {
		return res, translate(err)
	}
	if res.Updated, err = s.updateStaged(ctx, t, jobID); err != nil {
		return res, translate(err)
	}
	return res, importAfter(ctx, s.tx, t, before)
}

func (s *ImportSession) insertStaged(ctx context.Context, t ImportTarget, jobID int64) (int, error) {
	var cols, vals []string
	for _, c := range t.Columns {
		if c.Insert {
			cols = append(cols, c.Name)
			vals = append(vals, "s."+c.Name)
		}
	}
	hist := ""
	if t.Resource != "" {
		hist = `, h AS (INSERT INTO history (resource, record_id, actor_id, action, changes, imported, import_job_id)
			SELECT $1, ins.id, $2, 'create', '[]', true, $3 FROM ins)`
	}
	var n int
	err := s.tx.QueryRow(ctx, `/* postgres.ImportSession.Apply insert `+t.Table+` */
		WITH ins AS (INSERT INTO `+t.Table+` (`+strings.Join(cols, ", ")+`)
		             SELECT `+strings.Join(vals, ", ")+` FROM `+stagingTable+` s WHERE s.id IS NULL ORDER BY s.row_no
		             RETURNING id)`+hist+`
		SELECT count(*) FROM ins`, importHistoryArgs(t, s.actor, jobID)...).Scan(&n)
	return n, err
}

func importHistoryArgs(t ImportTarget, a crm.Actor, jobID int64) []any {
	if t.Resource == "" {
		return nil
	}
	return []any{string(t.Resource), a.ID, jobID}
}

func (s *ImportSession) updateStaged(ctx context.Context, t ImportTarget, jobID int64) (int, error) {
	if s.updates == 0 {
		return 0, nil
	}
	// The planner knows nothing of a fresh temporary table: give it the
	// numbers before it joins the staged rows to the records.
	if _, err := s.tx.Exec(ctx, `/* postgres.ImportSession.Apply analyze */ ANALYZE `+stagingTable); err != nil {
		return 0, err
	}
	var sets, olds, news []string
	for _, c := range t.Columns {
		if !c.Update {
			continue
		}
		v := "s." + c.Name
		if c.Set != "" {
			v = c.Set
		}
		sets = append(sets, c.Name+" = "+v)
		olds = append(olds, "t."+c.Name)
		news = append(news, v)
	}
	if len(sets) == 0 {
		return 0, nil
	}
	set := strings.Join(sets, ", ") + ", updated_at = now()"
	if t.ExtraSet != "" {
		set = t.ExtraSet + ", " + set
	}
	where := `t.id = s.id AND ROW(` + strings.Join(olds, ", ") + `) IS DISTINCT FROM ROW(` + strings.Join(news, ", ") + `)`
	if t.Resource == "" {
		tag, err := s.tx.Exec(ctx, `/* postgres.ImportSession.Apply update `+t.Table+` */
			UPDATE `+t.Table+` t SET `+set+` FROM `+stagingTable+` s WHERE `+where)
		return int(tag.RowsAffected()), err
	}
	// The history shows each changed field's old and new text: old from
	// the snapshot the statement started with, new from the updated row.
	var disp, values []string
	i := 0
	for _, c := range t.Columns {
		if !c.Update || c.History == "" {
			continue
		}
		expr := "t." + c.Name
		if c.Display != "" {
			expr = fmt.Sprintf(c.Display, expr)
		}
		disp = append(disp, "coalesce(("+expr+")::text, '') AS v"+strconv.Itoa(i))
		values = append(values, fmt.Sprintf("(%d, '%s', o.v%d, u.v%d)", i, c.History, i, i))
		i++
	}
	changes := `'[]'::jsonb`
	if len(values) > 0 {
		changes = `(SELECT coalesce(jsonb_agg(jsonb_build_object('f', v.f, 'o', v.o, 'n', v.n) ORDER BY v.i), '[]'::jsonb)
			FROM (VALUES ` + strings.Join(values, ", ") + `) v(i, f, o, n) WHERE v.o IS DISTINCT FROM v.n)`
	}
	list := "t.id"
	if len(disp) > 0 {
		list += ", " + strings.Join(disp, ", ")
	}
	var n int
	err := s.tx.QueryRow(ctx, `/* postgres.ImportSession.Apply update `+t.Table+` */
		WITH old AS (SELECT `+list+` FROM `+t.Table+` t JOIN `+stagingTable+` s ON s.id = t.id),
		     upd AS (UPDATE `+t.Table+` t SET `+set+` FROM `+stagingTable+` s WHERE `+where+` RETURNING `+list+`),
		     h AS (INSERT INTO history (resource, record_id, actor_id, action, changes, imported, import_job_id)
		           SELECT $1, u.id, $2, 'update', `+changes+`, true, $3 FROM upd u JOIN old o ON o.id = u.id)
		SELECT count(*) FROM upd`, importHistoryArgs(t, s.actor, jobID)...).Scan(&n)
	return n, err
}

// importBefore takes the locks a table's import needs before it writes:
// the department tree (as UpdateDepartment does), the administrators (as
// UpdateEmployee does). It returns the number of active admins before.
func importBefore(ctx context.Context, tx pgx.Tx, t ImportTarget) (int, error) {
	switch t.Table {
	case "departments":
		_, err := tx.Exec(ctx, `/* postgres.importBefore departments */ LOCK TABLE departments IN SHARE ROW EXCLUSIVE MODE`)
		return 0, err
	case "employees":
		return lockAdmins(ctx, tx)
	}
	return 0, nil
}

// importAfter does what a table's own write paths do besides the row:
//   - departments: parents named in the file are linked (a parent may be a
//     department of the same file), and a tree that would loop is refused;
//   - employees: at least one active admin remains;
//   - contacts: a customer without a primary contact gets its oldest one;
//   - follow-ups: the lead's or customer's last and next follow-up times
//     move, and a 未跟进 lead becomes 跟进中.
//
// The campaigns' and leads' figures follow from the statement triggers of
// leads and customers.
func importAfter(ctx context.Context, tx pgx.Tx, t ImportTarget, admins int) error {
	switch t.Table {
	case "departments":
		if _, err := tx.Exec(ctx, `/* postgres.importAfter department parents */
			UPDATE departments d SET parent_id = p.id, updated_at = now()
			FROM `+stagingTable+` s JOIN departments p ON p.name = s.parent_name
			WHERE d.name = s.name AND s.parent_name <> '' AND d.parent_id IS DISTINCT FROM p.id`); err != nil {
			return translate(err)
		}
		var loop string
		if err := tx.QueryRow(ctx, `/* postgres.importAfter department cycle */
			WITH RECURSIVE up AS (
			    SELECT d.id AS start, d.parent_id AS cur, 1 AS depth
			    FROM departments d JOIN `+stagingTable+` s ON s.name = d.name WHERE d.parent_id IS NOT NULL
			    UNION ALL
			    SELECT up.start, d.parent_id, up.depth + 1 FROM up JOIN departments d ON d.id = up.cur
			    WHERE d.parent_id IS NOT NULL AND up.cur <> up.start AND up.depth < 1000)
			SELECT coalesce(min(d.name), '') FROM up JOIN departments d ON d.id = up.start WHERE up.cur = up.start`).Scan(&loop); err != nil {
			return err
		}
		if loop != "" {
			return crm.Errorf(crm.EINVALID, "import.department_cycle", loop)
		}
	case "employees":
		return requireAdmin(ctx, tx, admins, "")
	case "contacts":
		_, err := tx.Exec(ctx, `/* postgres.importAfter primary contacts */
			UPDATE contacts c SET is_primary = true
			FROM (SELECT DISTINCT ON (ct.customer_id) ct.id FROM contacts ct
			      WHERE ct.customer_id IN (SELECT s.customer_id FROM `+stagingTable+` s WHERE s.id IS NULL)
			        AND NOT EXISTS (SELECT 1 FROM contacts p WHERE p.customer_id = ct.customer_id AND p.is_primary)
			      ORDER BY ct.customer_id, ct.created_at, ct.id) first
			WHERE c.id = first.id`)
		return err
	case "follow_ups":
		for _, p := range []struct{ table, col, status string }{
			{"leads", "lead_id", `, status = CASE WHEN x.status = 'new' THEN 'following' ELSE x.status END`},
			{"customers", "customer_id", ""},
		} {
			if _, err := tx.Exec(ctx, `/* postgres.importAfter follow-up parents */
				UPDATE `+p.table+` x SET last_follow_up_at = greatest(x.last_follow_up_at, f.last),
				       next_follow_up_at = coalesce(f.next, x.next_follow_up_at)`+p.status+`
				FROM (SELECT s.`+p.col+` AS parent, max(s.followed_at) AS last,
				             (array_agg(s.next_at ORDER BY s.followed_at DESC))[1] AS next
				      FROM `+stagingTable+` s WHERE s.id IS NULL AND s.`+p.col+` IS NOT NULL GROUP BY s.`+p.col+`) f
				WHERE x.id = f.parent`); err != nil {
				return err
			}
		}
	}
	return nil
}

// LockJob locks an import job a may view for its commit and returns it
// with its file; ENOTFOUND otherwise. The row lock orders two commits of
// the same job: the second finds it committed.
func (s *ImportSession) LockJob(ctx context.Context, id int64) (ImportJob, []byte, error) {
	var args Args
	cond := "j.id = " + args.Add(id) + " AND " + importJobScope(s.actor, "j", &args)
	rows, err := s.tx.Query(ctx, `/* postgres.ImportSession.LockJob */ SELECT `+importJobColumns+`, j.file
		FROM import_jobs j LEFT JOIN employees e ON e.id = j.created_by WHERE `+cond+` FOR UPDATE OF j`, args.List...)
	if err != nil {
		return ImportJob{}, nil, err
	}
	var file []byte
	j, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (ImportJob, error) {
		var j ImportJob
		err := r.Scan(&j.ID, &j.Table, &j.FileName, &j.FileSize, &j.Status, &j.OnError, &j.Existing,
			&j.Counts.Total, &j.Counts.New, &j.Counts.Update, &j.Counts.Skip, &j.Counts.Error, &j.Report, &j.HasPasswords,
			&j.CreatedBy, &j.CreatedByName, &j.CreatedAt, &j.CommittedAt, &file)
		return j, err
	})
	return j, file, translate(err)
}

// FinishJob marks a job committed with the commit's choices, counts and
// report, and keeps the initial-password sheet (nil: none) for its one
// download.
func (s *ImportSession) FinishJob(ctx context.Context, id int64, onError, existing string, c ImportCounts, report, passwords []byte) error {
	_, err := s.tx.Exec(ctx, `/* postgres.ImportSession.FinishJob */
		UPDATE import_jobs SET status = 'committed', on_error = $2, existing = $3, rows_total = $4, rows_new = $5,
		       rows_update = $6, rows_skip = $7, rows_error = $8, report = $9, passwords = $10,
		       committed_at = now(), updated_at = now()
		WHERE id = $1`, id, onError, existing, c.Total, c.New, c.Update, c.Skip, c.Error, report, passwords)
	return err
}
