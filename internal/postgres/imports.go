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
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// progressStale is how old a progress heartbeat may be before the commit
// that wrote it is taken for dead.
const progressStale = 20 * time.Second

// NewImportJob is what a preview records.
type NewImportJob struct {
	Table    string
	FileName string
	File     []byte
	OnError  string
	Existing string
	Counts   crm.ImportCounts
	Report   []byte
}

var importJobColumns = `j.id, j.table_name, j.file_name, j.file_size, j.status, j.on_error, j.existing,
	j.rows_total, j.rows_new, j.rows_update, j.rows_skip, j.rows_error, j.report, j.passwords IS NOT NULL,
	j.created_by, coalesce(e.name, ''), j.created_at, j.committed_at,
	j.reverted_at, coalesce((SELECT rv.name FROM employees rv WHERE rv.id = j.reverted_by), ''),
	j.progress_phase, j.progress_done, j.progress_total, j.progress_at, ` + importRunning

// importRunning says whether a commit of the job j is running: its
// progress is set, its heartbeat fresh, and its transaction holds the
// job's advisory lock (LockJob) — a commit whose process died holds none.
var importRunning = `(j.progress_phase <> '' AND j.progress_at > now() - interval '` +
	strconv.Itoa(int(progressStale/time.Second)) + ` seconds' AND EXISTS (
	SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ` + strconv.Itoa(importLockClass) + `
	AND l.objid = (j.id % 2147483648)::oid AND l.objsubid = 2
	AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())))`

// importJobListColumns leave the report out: the history lists counts,
// and a report may hold thousands of errors.
var importJobListColumns = strings.Replace(importJobColumns, "j.report,", "NULL::jsonb,", 1)

func scanImportJob(r pgx.CollectableRow) (crm.ImportJob, error) {
	var j crm.ImportJob
	err := r.Scan(importJobFields(&j)...)
	return j, err
}

// fields are the scan targets of importJobColumns.
func importJobFields(j *crm.ImportJob) []any {
	return []any{&j.ID, &j.Table, &j.FileName, &j.FileSize, &j.Status, &j.OnError, &j.Existing,
		&j.Counts.Total, &j.Counts.New, &j.Counts.Update, &j.Counts.Skip, &j.Counts.Error, &j.Report, &j.HasPasswords,
		&j.CreatedBy, &j.CreatedByName, &j.CreatedAt, &j.CommittedAt, &j.RevertedAt, &j.RevertedByName,
		&j.Progress.Phase, &j.Progress.Done, &j.Progress.Total, &j.Progress.At, &j.Progress.Running}
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
func (db *DB) ImportJobByID(ctx context.Context, a crm.Actor, id int64) (crm.ImportJob, error) {
	var args Args
	cond := "j.id = " + args.Add(id) + " AND " + importJobScope(a, "j", &args)
	var j crm.ImportJob
	for range interruptReads {
		rows, err := db.Pool.Query(ctx, `/* postgres.ImportJobByID */ SELECT `+importJobColumns+`
			FROM import_jobs j LEFT JOIN employees e ON e.id = j.created_by WHERE `+cond, args.List...)
		if err != nil {
			return crm.ImportJob{}, err
		}
		if j, err = pgx.CollectExactlyOneRow(rows, scanImportJob); err != nil || !j.Interrupted() {
			return j, translate(err)
		}
	}
	return j, nil
}

// interruptReads is how many times a job that looks interrupted is read:
// a statement's snapshot is taken before it reads the locks, so a commit
// that ends in between looks interrupted — its lock gone, its outcome not
// yet seen. A second statement, with a snapshot taken after the lock was
// seen gone, sees the outcome.
const interruptReads = 2

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
func (db *DB) FindImportJobs(ctx context.Context, a crm.Actor, limit int) ([]crm.ImportJob, error) {
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
func (db *DB) SaveImportReport(ctx context.Context, a crm.Actor, id int64, onError, existing string, c crm.ImportCounts, report []byte) error {
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
	RelOrder      ImportRelation = "order"      // by number, among the orders the importer may view
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
	// Orders: status, total and confirmed payments, and the customer with
	// the copies of its owner and department; products: Amount is the list
	// price.
	Status               string
	Amount               decimal.Decimal
	Paid                 decimal.Decimal
	CustomerID           int64
	CustomerOwnerID      int64
	CustomerDepartmentID int64
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
		case time.Time:
			b.WriteString(v.Format(time.RFC3339Nano))
		case decimal.Decimal:
			b.WriteString(v.String())
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
	// ExtraSet is added to the SET of updates (the opportunities' stage
	// clock); Restore names the columns it writes, so that a revert puts
	// them back too.
	ExtraSet string
	Restore  []string
	// Name is the SQL naming a record of the table (over the alias x), for
	// the reasons a revert gives.
	Name string
	// Owns lists the tables whose rows are part of a record (an order's
	// lines): they go with it on a revert and do not hold it back.
	Owns []string
}

// Revertible reports whether an import into t can be reverted: its writes
// are in the records' history (the business tables). Organisation tables
// keep no history of their own — what changed since an import could not
// be told — and imported employees may have signed in with their initial
// passwords.
func (t ImportTarget) Revertible() bool { return t.Resource != "" }

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
	// updates counts the rows in the staging table that update an existing
	// record; pending is set while it holds rows not written yet.
	updates int
	pending bool
	// chunked is set once the chunk table exists; written sums what Write
	// wrote chunk by chunk.
	chunked bool
	written ImportApplied
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
		if write {
			// A commit looks records up by key, a chunk at a time, in tables
			// that grow under it faster than the planner's picture of them
			// (an import into an empty table): a hash join would read the
			// whole table for every chunk — quadratic in the file — where an
			// index probe per key reads a few pages. Only for this
			// transaction.
			if _, err := tx.Exec(ctx, `/* postgres.RunImport plan */ SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off`); err != nil {
				return err
			}
		}
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
// names; usernames in lower case; SKUs; order numbers), in one query:
// departments, employees and products among all; campaigns, customers,
// leads and orders among those the importer may view (ViewScope), so that
// a name they may not view is simply unknown. Names without a match are
// absent from the answer.
func (s *ImportSession) Lookup(ctx context.Context, rel ImportRelation, names []string) (map[string]ImportMatch, error) {
	out := make(map[string]ImportMatch, len(names))
	if len(names) == 0 {
		return out, nil
	}
	var args Args
	list := args.Add(names) + "::text[]"
	var sql string
	// Every branch answers the same columns: name, count, id, owner,
	// department, creator, role, active, then the orders' and products'
	// money (status, amount, paid, customer and its copies).
	const none = `, '', 0::numeric, 0::numeric, 0::bigint, 0::bigint, 0::bigint`
	switch rel {
	case RelDepartment:
		sql = `SELECT d.name, 1, d.id, 0::bigint, 0::bigint, 0::bigint, '', true` + none + `
			FROM departments d WHERE d.name = ANY(` + list + `)`
	case RelEmployee:
		sql = `SELECT e.username, 1, e.id, 0::bigint, coalesce(e.department_id, 0), 0::bigint, e.role, e.active` + none + `
			FROM employees e WHERE e.username = ANY(` + list + `)`
	case RelProduct:
		sql = `SELECT p.sku, 1, p.id, 0::bigint, 0::bigint, coalesce(p.created_by, 0), '', p.active,
			       '', p.list_price, 0::numeric, 0::bigint, 0::bigint, 0::bigint
			FROM products p WHERE p.sku = ANY(` + list + `)`
	case RelOrder:
		sql = `SELECT o.number, 1, o.id, coalesce(o.owner_id, 0), coalesce(o.department_id, 0), o.created_by, '', true,
			       o.status, o.total, o.paid_amount, o.customer_id, coalesce(o.customer_owner_id, 0), coalesce(o.customer_department_id, 0)
			FROM orders o WHERE o.number = ANY(` + list + `) AND ` + ViewScope(s.actor, crm.ResOrder, "o", &args)
	case RelCampaign, RelCustomer, RelLead:
		table, res := "campaigns", crm.ResCampaign
		if rel == RelCustomer {
			table, res = "customers", crm.ResCustomer
		} else if rel == RelLead {
			table, res = "leads", crm.ResLead
		}
		sql = `SELECT t.name, count(*), min(t.id), (array_agg(coalesce(t.owner_id, 0) ORDER BY t.id))[1],
			       (array_agg(coalesce(t.department_id, 0) ORDER BY t.id))[1], (array_agg(t.created_by ORDER BY t.id))[1], '', true` + none + `
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
		if err := rows.Scan(&name, &m.N, &m.ID, &m.OwnerID, &m.DepartmentID, &m.CreatedBy, &role, &m.Active,
			&m.Status, &m.Amount, &m.Paid, &m.CustomerID, &m.CustomerOwnerID, &m.CustomerDepartmentID); err != nil {
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
		k := "k" + strconv.Itoa(i)
		kcols = append(kcols, "k."+k)
		switch c.Type {
		case "bigint":
			v := make([]int64, len(keys))
			for j, k := range keys {
				v[j], _ = k[i].(int64)
			}
			arrays = append(arrays, args.Add(v)+"::bigint[]")
			on = append(on, "x."+name+" = k."+k)
		case "text":
			v := make([]string, len(keys))
			for j, k := range keys {
				v[j], _ = k[i].(string)
			}
			arrays = append(arrays, args.Add(v)+"::text[]")
			on = append(on, "x."+name+" = k."+k)
		default:
			// Amounts and days go as the text ImportKey writes, compared
			// typed and answered as sent, so that the answer's keys are the
			// caller's.
			v := make([]string, len(keys))
			for j, k := range keys {
				v[j] = ImportKey(k[i])
			}
			arrays = append(arrays, args.Add(v)+"::text[]")
			on = append(on, "x."+name+" = k."+k+"::"+c.Type)
		}
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
// into; it lives until the transaction ends. chunkTable holds the rows of
// one chunk that Write writes at once.
const (
	stagingTable = "import_stage"
	chunkTable   = "import_chunk"
)

// createStaging creates a temporary table of t's staged rows: the file's
// row number, the id of the existing record a row updates (nil: a new
// record), then t.Columns in order.
func (s *ImportSession) createStaging(ctx context.Context, t ImportTarget, name string) error {
	defs := []string{"row_no integer NOT NULL", "id bigint"}
	for _, c := range t.Columns {
		defs = append(defs, c.Name+" "+c.Type)
	}
	_, err := s.tx.Exec(ctx, `/* postgres.ImportSession.createStaging */ CREATE TEMP TABLE `+name+
		` (`+strings.Join(defs, ", ")+`) ON COMMIT DROP`)
	return err
}

func stagedColumns(t ImportTarget) []string {
	cols := []string{"row_no", "id"}
	for _, c := range t.Columns {
		cols = append(cols, c.Name)
	}
	return cols
}

func countUpdates(rows [][]any) int {
	n := 0
	for _, r := range rows {
		if r[1] != nil {
			n++
		}
	}
	return n
}

// Stage copies rows into the staging table (created on the first call),
// to be written by Apply: each row is the file's row number, the id of the
// existing record it updates (nil: a new record), then t.Columns in order.
// One COPY per call: the caller stages a chunk of rows at a time.
func (s *ImportSession) Stage(ctx context.Context, t ImportTarget, rows [][]any) error {
	if !s.write {
		return fmt.Errorf("postgres: staging in a read-only import")
	}
	if !s.staged {
		if err := s.createStaging(ctx, t, stagingTable); err != nil {
			return err
		}
		s.staged = true
	}
	if len(rows) == 0 {
		return nil
	}
	s.updates += countUpdates(rows)
	s.pending = true
	_, err := s.tx.CopyFrom(ctx, pgx.Identifier{stagingTable}, stagedColumns(t), pgx.CopyFromRows(rows))
	return err
}

// chunkWise reports whether the rows of t are written chunk by chunk as
// they are checked (Write), rather than all at the end: every table but
// those whose writes need the whole file at once — the department tree,
// the last-admin check, orders and payments with their figures.
func (t ImportTarget) chunkWise() bool {
	switch t.Table {
	case "departments", "employees", "orders", "payments":
		return false
	}
	return true
}

// wantsAll reports whether t's follow-up writes (importAfter) read every
// staged row at the end.
func (t ImportTarget) wantsAll() bool { return t.Table == "contacts" || t.Table == "follow_ups" }

// Write stages a chunk of rows (as Stage) and, for most tables
// (chunkWise), writes them at once — one COPY into the chunk table, one
// INSERT … SELECT and one UPDATE … FROM, with their history, as Apply
// does for the whole file — so that the database works on one chunk while
// the caller reads and checks the next, and the writes are spread over
// the import instead of all waiting for its end. Apply then runs the
// table's follow-up writes and sums up. Everything stays in the one
// transaction: a later error still rolls every chunk back.
func (s *ImportSession) Write(ctx context.Context, t ImportTarget, jobID int64, rows [][]any) error {
	if !t.chunkWise() {
		return s.Stage(ctx, t, rows)
	}
	if !s.write {
		return fmt.Errorf("postgres: writing in a read-only import")
	}
	if !s.staged && t.wantsAll() {
		if err := s.Stage(ctx, t, nil); err != nil {
			return err
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if !s.chunked {
		if err := s.createStaging(ctx, t, chunkTable); err != nil {
			return err
		}
		s.chunked = true
	} else if _, err := s.tx.Exec(ctx, `/* postgres.ImportSession.Write truncate */ TRUNCATE `+chunkTable); err != nil {
		return err
	}
	if _, err := s.tx.CopyFrom(ctx, pgx.Identifier{chunkTable}, stagedColumns(t), pgx.CopyFromRows(rows)); err != nil {
		return err
	}
	n, err := s.insertStaged(ctx, t, jobID, chunkTable)
	if err != nil {
		return translate(err)
	}
	s.written.Inserted += n
	if n, err = s.updateStaged(ctx, t, jobID, chunkTable, countUpdates(rows)); err != nil {
		return translate(err)
	}
	s.written.Updated += n
	if t.wantsAll() {
		_, err = s.tx.Exec(ctx, `/* postgres.ImportSession.Write keep */ INSERT INTO `+stagingTable+` SELECT * FROM `+chunkTable)
	}
	return err
}

// Apply writes the staged rows into t in a few set-based statements:
// every new row in one INSERT … SELECT, every update in one UPDATE … FROM
// (records whose values would not change are left alone), with one history
// entry per written record marked imported and naming the job (the hook
// for reverting an import). Then the table's own follow-up writes run (the
// department tree, primary contacts, the parents' follow-up times, the
// last administrator check). It counts what Write wrote before too.
func (s *ImportSession) Apply(ctx context.Context, t ImportTarget, jobID int64) (ImportApplied, error) {
	res := s.written
	if !s.staged {
		if err := s.Stage(ctx, t, nil); err != nil {
			return res, err
		}
	}
	switch t.Table {
	case "orders":
		n, err := s.applyOrders(ctx, jobID)
		return ImportApplied{Inserted: n}, err
	case "payments":
		n, err := s.applyPayments(ctx, jobID)
		return ImportApplied{Inserted: n}, err
	}
	before, err := importBefore(ctx, s.tx, t)
	if err != nil {
		return res, err
	}
	if s.pending {
		n, err := s.insertStaged(ctx, t, jobID, stagingTable)
		if err != nil {
			return res, translate(err)
		}
		res.Inserted += n
		if n, err = s.updateStaged(ctx, t, jobID, stagingTable, s.updates); err != nil {
			return res, translate(err)
		}
		res.Updated += n
	}
	return res, s.importAfter(ctx, t, before, jobID)
}

func (s *ImportSession) insertStaged(ctx context.Context, t ImportTarget, jobID int64, from string) (int, error) {
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
		             SELECT `+strings.Join(vals, ", ")+` FROM `+from+` s WHERE s.id IS NULL ORDER BY s.row_no
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

func (s *ImportSession) updateStaged(ctx context.Context, t ImportTarget, jobID int64, from string, updates int) (int, error) {
	if updates == 0 {
		return 0, nil
	}
	// The planner knows nothing of a fresh temporary table: give it the
	// numbers before it joins the staged rows to the records.
	if _, err := s.tx.Exec(ctx, `/* postgres.ImportSession.Apply analyze */ ANALYZE `+from); err != nil {
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
			UPDATE `+t.Table+` t SET `+set+` FROM `+from+` s WHERE `+where)
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
	// And the typed values of every column written, before and after
	// (history.import_values), for a revert.
	list := "t.id, " + rawValues(t, "t") + " AS raw"
	if len(disp) > 0 {
		list += ", " + strings.Join(disp, ", ")
	}
	var n int
	err := s.tx.QueryRow(ctx, `/* postgres.ImportSession.Apply update `+t.Table+` */
		WITH old AS (SELECT `+list+` FROM `+t.Table+` t JOIN `+from+` s ON s.id = t.id),
		     upd AS (UPDATE `+t.Table+` t SET `+set+` FROM `+from+` s WHERE `+where+` RETURNING `+list+`),
		     h AS (INSERT INTO history (resource, record_id, actor_id, action, changes, imported, import_job_id, import_values)
		           SELECT $1, u.id, $2, 'update', `+changes+`, true, $3, jsonb_build_object('old', o.raw, 'new', u.raw)
		           FROM upd u JOIN old o ON o.id = u.id)
		SELECT count(*) FROM upd`, importHistoryArgs(t, s.actor, jobID)...).Scan(&n)
	return n, err
}

// restoredColumns are the columns an update of t writes and a revert puts
// back.
func restoredColumns(t ImportTarget) []string {
	var out []string
	for _, c := range t.Columns {
		if c.Update {
			out = append(out, c.Name)
		}
	}
	return append(out, t.Restore...)
}

// rawValues is a jsonb object of the restored columns of the row alias.
func rawValues(t ImportTarget, alias string) string {
	var parts []string
	for _, c := range restoredColumns(t) {
		parts = append(parts, "'"+c+"', "+alias+"."+c)
	}
	return "jsonb_build_object(" + strings.Join(parts, ", ") + ")"
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
//     move, and a 未跟进 lead becomes 跟进中 — with an entry in the parent's
//     history (imported, naming the job, with the values before and after,
//     so that a revert can put back what nobody has changed since).
//
// The campaigns' and leads' figures follow from the statement triggers of
// leads and customers.
func (s *ImportSession) importAfter(ctx context.Context, t ImportTarget, admins int, jobID int64) error {
	tx := s.tx
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
		return s.followUpParents(ctx, jobID)
	}
	return nil
}

// importLockClass is the first key of the advisory locks that hold an
// import job while it is committed or reverted (the second is its id).
const importLockClass = 4711

// LockJob takes an import job a may view for its commit or its revert and
// returns it with its file; ENOTFOUND when a may not view it, ECONFLICT
// "import.running" while another commit or revert of the job runs. The
// hold is a transaction-level advisory lock, not a row lock: the job's row
// stays free for the progress that SetImportProgress writes from another
// connection while this transaction runs, and the lock goes with the
// transaction however it ends (the connection dropped, the process
// killed). Of two commits of the same job the second is refused, or finds
// the job committed.
func (s *ImportSession) LockJob(ctx context.Context, id int64) (crm.ImportJob, []byte, error) {
	var args Args
	cond := "j.id = " + args.Add(id) + " AND " + importJobScope(s.actor, "j", &args)
	rows, err := s.tx.Query(ctx, `/* postgres.ImportSession.LockJob */ SELECT `+importJobColumns+`, j.file
		FROM import_jobs j LEFT JOIN employees e ON e.id = j.created_by WHERE `+cond, args.List...)
	if err != nil {
		return crm.ImportJob{}, nil, err
	}
	var file []byte
	j, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (crm.ImportJob, error) {
		var j crm.ImportJob
		err := r.Scan(append(importJobFields(&j), &file)...)
		return j, err
	})
	if err != nil {
		return j, nil, translate(err)
	}
	var got bool
	if err := s.tx.QueryRow(ctx, `/* postgres.ImportSession.LockJob lock */ SELECT pg_try_advisory_xact_lock($1, $2)`,
		int32(importLockClass), int32(id%(1<<31))).Scan(&got); err != nil {
		return j, nil, err
	}
	if !got {
		return j, nil, crm.Errorf(crm.ECONFLICT, "import.running")
	}
	// Read again under the lock: a commit that held it has ended now.
	if err := s.tx.QueryRow(ctx, `/* postgres.ImportSession.LockJob status */ SELECT status FROM import_jobs WHERE id = $1`,
		id).Scan(&j.Status); err != nil {
		return j, nil, translate(err)
	}
	return j, file, nil
}

// FinishJob marks a job committed with the commit's choices, counts and
// report, and keeps the initial-password sheet (nil: none) for its one
// download.
// ECONFLICT "import.already_committed" when it is no preview any more. The
// caller has stopped writing its progress: this clears it.
func (s *ImportSession) FinishJob(ctx context.Context, id int64, onError, existing string, c crm.ImportCounts, report, passwords []byte) error {
	tag, err := s.tx.Exec(ctx, `/* postgres.ImportSession.FinishJob */
		UPDATE import_jobs SET status = 'committed', on_error = $2, existing = $3, rows_total = $4, rows_new = $5,
		       rows_update = $6, rows_skip = $7, rows_error = $8, report = $9, passwords = $10,
		       committed_at = now(), updated_at = now(),
		       progress_phase = '', progress_done = $4, progress_total = $4, progress_at = now()
		WHERE id = $1 AND status = 'previewed'`, id, onError, existing, c.Total, c.New, c.Update, c.Skip, c.Error, report, passwords)
	if err == nil && tag.RowsAffected() == 0 {
		return crm.Errorf(crm.ECONFLICT, "import.already_committed")
	}
	return err
}

// SetImportProgress records how far the commit of job id has got (phase
// "" when it has ended). It runs on a connection of its own, outside the
// commit's transaction, so that every instance sees it at once; the commit
// holds no lock on the job's row until its last statement (LockJob).
func (db *DB) SetImportProgress(ctx context.Context, id int64, phase string, done, total int) error {
	_, err := db.Pool.Exec(ctx, `/* postgres.SetImportProgress */
		UPDATE import_jobs SET progress_phase = $2, progress_done = $3, progress_total = $4, progress_at = now()
		WHERE id = $1`, id, phase, done, total)
	return err
}

// ImportJobProgress returns the status and progress of a job a may view
// (ENOTFOUND otherwise), without its report: the progress bar polls it.
func (db *DB) ImportJobProgress(ctx context.Context, a crm.Actor, id int64) (string, crm.ImportProgress, error) {
	var args Args
	cond := "j.id = " + args.Add(id) + " AND " + importJobScope(a, "j", &args)
	var status string
	var p crm.ImportProgress
	for range interruptReads {
		err := db.Pool.QueryRow(ctx, `/* postgres.ImportJobProgress */
			SELECT j.status, j.progress_phase, j.progress_done, j.progress_total, j.progress_at, `+importRunning+`
			FROM import_jobs j WHERE `+cond, args.List...).Scan(&status, &p.Phase, &p.Done, &p.Total, &p.At, &p.Running)
		if err != nil || !crm.ImportInterrupted(status, p) {
			return status, p, translate(err)
		}
	}
	return status, p, nil
}

// Orders and payments (imported history, admin only). An order arrives as
// its lines, staged one row each with the order's own columns repeated
// (position 1 carries them for the order); a payment as one row.

// applyOrders writes the staged new orders with their lines and history,
// as CreateOrder would, with the status the file gives (草稿 or 已通过):
//   - the customers of approved orders are locked first (the lock order
//     of the approval workflow), then their 成交金额, 成交次数 and stage
//     move exactly as addDeal moves them, one 'deal' history entry per
//     customer; the triggers carry the change on to campaigns and leads;
//   - an approved order is decided by the importer on its sign date (the
//     day its deal counts on the dashboards), or now without one;
//   - the file's numbers are kept; a number of the CRM's own form
//     (DD-2026-00042) moves the year's DD counter past it, so that the CRM
//     never hands it out again.
//
// It returns the number of lines written.
func (s *ImportSession) applyOrders(ctx context.Context, jobID int64) (int, error) {
	if _, err := s.tx.Exec(ctx, `/* postgres.applyOrders lock customers */
		SELECT 1 FROM customers WHERE id IN (SELECT s.customer_id FROM `+stagingTable+` s
		                                     WHERE s.id IS NULL AND s.position = 1 AND s.status = 'approved')
		ORDER BY id FOR NO KEY UPDATE`); err != nil {
		return 0, err
	}
	var lines int
	var ids []int64
	err := s.tx.QueryRow(ctx, `/* postgres.applyOrders */
		WITH ins AS (
		         INSERT INTO orders (number, customer_id, sign_date, status, total, notes, owner_id, department_id, created_by,
		                             customer_owner_id, customer_department_id, decided_by, decided_at)
		         SELECT s.number, s.customer_id, s.sign_date, s.status, s.total, s.notes, s.owner_id, s.department_id, s.created_by,
		                s.customer_owner_id, s.customer_department_id,
		                CASE WHEN s.status = 'approved' THEN $2::bigint END,
		                CASE WHEN s.status = 'approved' THEN coalesce(s.sign_date::timestamp AT TIME ZONE $4, now()) END
		         FROM `+stagingTable+` s WHERE s.id IS NULL AND s.position = 1 ORDER BY s.row_no
		         RETURNING id, number, status, total),
		     ln AS (
		         INSERT INTO order_lines (order_id, position, product_id, unit_price, discount, quantity, subtotal)
		         SELECT ins.id, s.position, s.product_id, s.unit_price, s.discount, s.quantity, s.subtotal
		         FROM `+stagingTable+` s JOIN ins ON ins.number = s.number WHERE s.id IS NULL
		         RETURNING 1),
		     h AS (
		         INSERT INTO history (resource, record_id, actor_id, action, changes, imported, import_job_id)
		         SELECT $1, ins.id, $2, 'create', jsonb_build_array(
		                    jsonb_build_object('f', 'doc_number', 'o', '', 'n', ins.number),
		                    jsonb_build_object('f', 'doc_total', 'o', '', 'n', ins.total::text),
		                    jsonb_build_object('f', 'order_status', 'o', '', 'n', ins.status)), true, $3
		         FROM ins)
		SELECT (SELECT count(*) FROM ln), coalesce((SELECT array_agg(id) FROM ins WHERE status = 'approved'), '{}')`,
		string(crm.ResOrder), s.actor.ID, jobID, crm.Zone.String()).Scan(&lines, &ids)
	if err != nil {
		return 0, translate(err)
	}
	if err := moveDealFigures(ctx, s.tx, ids, +1, figureHistory{actor: s.actor.ID, action: "deal", job: jobID}); err != nil {
		return 0, err
	}
	_, err = s.tx.Exec(ctx, `/* postgres.applyOrders counters */
		INSERT INTO doc_counters (kind, year, last)
		SELECT $1, m[1]::int, max(m[2]::int)
		FROM (SELECT regexp_match(s.number, '^`+orderDoc.kind+`-([0-9]{4})-([0-9]{1,9})$') AS m
		      FROM `+stagingTable+` s WHERE s.id IS NULL AND s.position = 1) x
		WHERE m IS NOT NULL GROUP BY m[1]
		ON CONFLICT (kind, year) DO UPDATE SET last = greatest(doc_counters.last, excluded.last)`, orderDoc.kind)
	return lines, err
}

// applyPayments writes the staged new payments with their history, as
// CreatePayment would, confirmed or not as the file says. Confirmed ones
// are confirmed by the importer on their payment day and move their
// order's 已回款金额 and their customer's 回款金额 as confirmMoney does,
// under the same locks (the customers, then the orders); the confirmed
// payments of an order may not pass its total — ECONFLICT
// "import.payments_exceed" naming the order (the file was checked, but the
// order may have been paid meanwhile) — and go only against approved
// orders. It returns the number of payments written.
func (s *ImportSession) applyPayments(ctx context.Context, jobID int64) (int, error) {
	const confirmed = `SELECT s.order_id, s.customer_id, s.amount FROM ` + stagingTable + ` s WHERE s.id IS NULL AND s.confirmed`
	if _, err := s.tx.Exec(ctx, `/* postgres.applyPayments lock customers */
		SELECT 1 FROM customers WHERE id IN (SELECT customer_id FROM (`+confirmed+`) c) ORDER BY id FOR NO KEY UPDATE`); err != nil {
		return 0, err
	}
	if _, err := s.tx.Exec(ctx, `/* postgres.applyPayments lock orders */
		SELECT 1 FROM orders WHERE id IN (SELECT s.order_id FROM `+stagingTable+` s WHERE s.id IS NULL) ORDER BY id FOR NO KEY UPDATE`); err != nil {
		return 0, err
	}
	var number string
	var left decimal.Decimal
	err := s.tx.QueryRow(ctx, `/* postgres.applyPayments check */
		SELECT o.number, o.total - o.paid_amount FROM orders o
		JOIN (SELECT order_id, sum(amount) AS amount FROM (`+confirmed+`) c GROUP BY order_id) d ON d.order_id = o.id
		WHERE o.paid_amount + d.amount > o.total
		UNION ALL
		SELECT o.number, 0 FROM orders o WHERE o.id IN (SELECT s.order_id FROM `+stagingTable+` s WHERE s.id IS NULL)
		  AND o.status <> 'approved'
		LIMIT 1`).Scan(&number, &left)
	switch {
	case err == nil:
		return 0, crm.Errorf(crm.ECONFLICT, "import.payments_exceed", number, crm.FormatMoney(left))
	case !errors.Is(err, pgx.ErrNoRows):
		return 0, err
	}
	var n int
	var ids []int64
	err = s.tx.QueryRow(ctx, `/* postgres.applyPayments */
		WITH ins AS (
		         INSERT INTO payments (order_id, customer_id, amount, paid_on, method, notes, confirmed, confirmed_by, confirmed_at,
		                               owner_id, department_id, created_by, customer_owner_id, customer_department_id)
		         SELECT s.order_id, s.customer_id, s.amount, s.paid_on, s.method, s.notes, s.confirmed,
		                CASE WHEN s.confirmed THEN $2::bigint END,
		                CASE WHEN s.confirmed THEN s.paid_on::timestamp AT TIME ZONE $4 END,
		                s.owner_id, s.department_id, s.created_by, s.customer_owner_id, s.customer_department_id
		         FROM `+stagingTable+` s WHERE s.id IS NULL ORDER BY s.row_no
		         RETURNING id, amount, confirmed),
		     h AS (
		         INSERT INTO history (resource, record_id, actor_id, action, changes, imported, import_job_id)
		         SELECT $1, ins.id, $2, a.action, jsonb_build_array(jsonb_build_object('f', 'payment_amount',
		                'o', '', 'n', ins.amount::text)), true, $3
		         FROM ins CROSS JOIN LATERAL (VALUES ('create', true), ('confirm', ins.confirmed)) a(action, keep) WHERE a.keep)
		SELECT count(*), coalesce(array_agg(id) FILTER (WHERE confirmed), '{}') FROM ins`,
		string(crm.ResPayment), s.actor.ID, jobID, crm.Zone.String()).Scan(&n, &ids)
	if err != nil {
		return 0, translate(err)
	}
	if err := moveMoneyFigures(ctx, s.tx, "payments", "paid_amount", ids, +1); err != nil {
		return 0, importCheckError(err)
	}
	return n, nil
}

// importCheckError turns the orders' check of paid amounts into the
// message of a payment import that would pass an order's total.
func importCheckError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.ConstraintName == "orders_paid_within_total" {
		return crm.Errorf(crm.ECONFLICT, "import.payments_exceed_any")
	}
	return err
}

// Reverting an import (撤销导入).

// ImportBlocker is one reason an import cannot be reverted: a record it
// wrote (Record names it) that something since depends on, or that has
// changed since.
type ImportBlocker struct {
	Record string
	// Kind says which: BlockDependents (Count records of Table refer to
	// it), BlockChanged (it changed since: last by Actor at At with Action,
	// a history action — by import Job when that is not 0; no Action when
	// the import predates reverts and kept no values to put back).
	Kind   string
	Table  string
	Count  int
	Action string
	Actor  string
	At     *time.Time
	Job    int64
}

// The kinds of ImportBlocker.
const (
	BlockDependents = "dependents"
	BlockChanged    = "changed"
)

// maxBlockers bounds the reasons a refused revert gives.
const maxBlockers = 50

// ImportRevert says what a revert did.
type ImportRevert struct {
	Deleted  int // records the import created, removed
	Restored int // records the import updated, put back
}

// revertTable and restoreTable hold the records a revert removes and puts
// back, for the transaction.
const (
	revertTable  = "import_revert"
	restoreTable = "import_restore"
)

// Revert undoes what the import job wrote into t, in the session's
// transaction: the records it created are removed (with a 'delete' entry
// in their history) and those it updated get back the values they had
// (history.import_values "old"; an 'import_revert' entry) — unless
// something holds it back, and then nothing is written and every reason
// is returned (at most maxBlockers): a record created since that refers to
// one of the import's records (any foreign key, found in the catalogue, so
// that tables added later count too; rows of t.Owns excepted); a created
// record changed since (an entry in its history not from this import); an
// updated record whose values are no longer those the import wrote.
// Records deleted since are left out. The records are locked first, so
// that nothing can come to depend on them while the revert runs. The
// figures follow: the triggers move the campaigns' and leads', and the
// table's own revert moves the customers' deal figures (orders), the
// orders' and customers' paid amounts (payments), the customers' primary
// contacts (contacts) and the parents' follow-up times (follow-ups).
func (s *ImportSession) Revert(ctx context.Context, t ImportTarget, jobID int64) (ImportRevert, []ImportBlocker, error) {
	var res ImportRevert
	if !t.Revertible() {
		return res, nil, crm.Errorf(crm.ECONFLICT, "import.revert_unsupported")
	}
	if !s.write {
		return res, nil, fmt.Errorf("postgres: reverting in a read-only import")
	}
	tbl, name := pgx.Identifier{t.Table}.Sanitize(), t.Name
	if name == "" {
		name = "x.id::text"
	}
	res0 := string(t.Resource)
	// Nothing grows under a revert, and its temporary tables are analysed:
	// the planner may join as it likes again (see RunImport).
	if _, err := s.tx.Exec(ctx, `/* postgres.ImportSession.Revert plan */ SET LOCAL enable_hashjoin = on; SET LOCAL enable_mergejoin = on`); err != nil {
		return res, nil, err
	}
	for _, q := range []string{
		`CREATE TEMP TABLE ` + revertTable + ` (id bigint PRIMARY KEY, hist bigint NOT NULL) ON COMMIT DROP`,
		`CREATE TEMP TABLE ` + restoreTable + ` (id bigint PRIMARY KEY, hist bigint NOT NULL) ON COMMIT DROP`,
	} {
		if _, err := s.tx.Exec(ctx, `/* postgres.ImportSession.Revert temp */ `+q); err != nil {
			return res, nil, err
		}
	}
	// The records, locked in id order (the live ones: those deleted since
	// are gone already).
	for _, k := range []struct{ into, action string }{{revertTable, "create"}, {restoreTable, "update"}} {
		if _, err := s.tx.Exec(ctx, `/* postgres.ImportSession.Revert records */
			INSERT INTO `+k.into+` (id, hist)
			SELECT x.id, h.id FROM history h JOIN `+tbl+` x ON x.id = h.record_id
			WHERE h.import_job_id = $1 AND h.resource = $2 AND h.action = $3
			ORDER BY x.id FOR UPDATE OF x`, jobID, res0, k.action); err != nil {
			return res, nil, err
		}
		if _, err := s.tx.Exec(ctx, `/* postgres.ImportSession.Revert analyze */ ANALYZE `+k.into); err != nil {
			return res, nil, err
		}
	}
	blockers, err := s.revertBlockers(ctx, t, jobID, tbl, name)
	if err != nil || len(blockers) > 0 {
		return res, blockers, err
	}
	if err := s.revertBefore(ctx, t, jobID); err != nil {
		return res, nil, err
	}
	parents, err := s.revertParents(ctx, t)
	if err != nil {
		return res, nil, err
	}
	// Put back the updated records.
	cols := restoredColumns(t)
	var olds []string
	for _, c := range cols {
		olds = append(olds, "o."+c)
	}
	if len(cols) > 0 {
		if err := s.tx.QueryRow(ctx, `/* postgres.ImportSession.Revert restore `+t.Table+` */
			WITH upd AS (
			         UPDATE `+tbl+` x SET (`+strings.Join(cols, ", ")+`) = ROW(`+strings.Join(olds, ", ")+`), updated_at = now()
			         FROM `+restoreTable+` r JOIN history h ON h.id = r.hist
			              CROSS JOIN LATERAL jsonb_populate_record(NULL::`+tbl+`, h.import_values->'old') o
			         WHERE x.id = r.id
			         RETURNING x.id, r.hist),
			     hi AS (
			         INSERT INTO history (resource, record_id, actor_id, action, changes, imported, import_job_id)
			         SELECT $1, u.id, $2, 'import_revert',
			                (SELECT coalesce(jsonb_agg(jsonb_build_object('f', c->>'f', 'o', c->>'n', 'n', c->>'o')), '[]')
			                 FROM jsonb_array_elements(h.changes) c), true, $3
			         FROM upd u JOIN history h ON h.id = u.hist)
			SELECT count(*) FROM upd`, res0, s.actor.ID, jobID).Scan(&res.Restored); err != nil {
			return res, nil, translate(err)
		}
	}
	// Remove the created ones.
	if err := s.tx.QueryRow(ctx, `/* postgres.ImportSession.Revert delete `+t.Table+` */
		WITH del AS (DELETE FROM `+tbl+` x USING `+revertTable+` r WHERE x.id = r.id RETURNING x.id),
		     hi AS (INSERT INTO history (resource, record_id, actor_id, action, changes, imported, import_job_id)
		            SELECT $1, del.id, $2, 'delete', '[]', true, $3 FROM del)
		SELECT count(*) FROM del`, res0, s.actor.ID, jobID).Scan(&res.Deleted); err != nil {
		return res, nil, translate(err)
	}
	return res, nil, s.revertAfter(ctx, t, jobID, parents)
}

// revertBlockers finds what holds a revert back (see Revert).
func (s *ImportSession) revertBlockers(ctx context.Context, t ImportTarget, jobID int64, tbl, name string) ([]ImportBlocker, error) {
	var out []ImportBlocker
	collect := func(sql string, args ...any) error {
		if len(out) >= maxBlockers {
			return nil
		}
		rows, err := s.tx.Query(ctx, sql+` LIMIT `+strconv.Itoa(maxBlockers-len(out)), args...)
		if err != nil {
			return err
		}
		list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ImportBlocker])
		out = append(out, list...)
		return err
	}
	// Records created since that refer to the created ones, through every
	// single-column foreign key onto the table.
	rows, err := s.tx.Query(ctx, `/* postgres.ImportSession.Revert foreign keys */
		SELECT c.conrelid::regclass::text, a.attname::text, (SELECT ct.relname::text FROM pg_class ct WHERE ct.oid = c.conrelid)
		FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'f' AND c.confrelid = $1::regclass AND cardinality(c.conkey) = 1
		ORDER BY 3, 2`, t.Table)
	if err != nil {
		return nil, err
	}
	type fk struct{ Rel, Col, Name string }
	fks, err := pgx.CollectRows(rows, pgx.RowToStructByPos[fk])
	if err != nil {
		return nil, err
	}
	for _, f := range fks {
		if slices.Contains(t.Owns, f.Name) {
			continue
		}
		self := ""
		if f.Name == t.Table {
			self = ` AND c.id NOT IN (SELECT id FROM ` + revertTable + `)`
		}
		col := pgx.Identifier{f.Col}.Sanitize()
		if err := collect(`/* postgres.ImportSession.Revert dependents */
			SELECT `+name+`, '`+BlockDependents+`', $1::text, count(*)::int, '', '', NULL::timestamptz, 0::bigint
			FROM `+f.Rel+` c JOIN `+revertTable+` r ON r.id = c.`+col+` JOIN `+tbl+` x ON x.id = r.id
			WHERE TRUE`+self+` GROUP BY x.id, `+name+` ORDER BY x.id`, f.Name); err != nil {
			return nil, err
		}
	}
	// Created records changed since: an entry of their history that is not
	// this import's.
	if err := collect(`/* postgres.ImportSession.Revert changed since */
		SELECT `+name+`, '`+BlockChanged+`', '', 0, h.action, coalesce(e.name, ''), h.at, coalesce(h.import_job_id, 0)
		FROM `+revertTable+` r JOIN `+tbl+` x ON x.id = r.id
		CROSS JOIN LATERAL (SELECT h.action, h.actor_id, h.at, h.import_job_id FROM history h
		                    WHERE h.resource = $1 AND h.record_id = r.id AND h.import_job_id IS DISTINCT FROM $2
		                    ORDER BY h.id DESC LIMIT 1) h
		LEFT JOIN employees e ON e.id = h.actor_id
		ORDER BY x.id`, string(t.Resource), jobID); err != nil {
		return nil, err
	}
	// Updated records whose values are no longer the import's (or that an
	// import before reverts existed cannot put back): the latest other
	// entry of their history says who changed them.
	cols := restoredColumns(t)
	var cur, news []string
	for _, c := range cols {
		cur = append(cur, "x."+c)
		news = append(news, "n."+c)
	}
	if len(cols) > 0 {
		if err := collect(`/* postgres.ImportSession.Revert updated since */
			SELECT `+name+`, '`+BlockChanged+`', '', 0, CASE WHEN h.import_values IS NULL THEN '' ELSE coalesce(l.action, 'update') END, coalesce(e.name, ''), l.at, coalesce(l.import_job_id, 0)
			FROM `+restoreTable+` r JOIN `+tbl+` x ON x.id = r.id JOIN history h ON h.id = r.hist
			LEFT JOIN LATERAL jsonb_populate_record(NULL::`+tbl+`, h.import_values->'new') n ON TRUE
			LEFT JOIN LATERAL (SELECT l.action, l.actor_id, l.at, l.import_job_id FROM history l
			                   WHERE l.resource = $1 AND l.record_id = r.id AND l.id > h.id
			                   ORDER BY l.id DESC LIMIT 1) l ON TRUE
			LEFT JOIN employees e ON e.id = l.actor_id
			WHERE h.import_values IS NULL OR ROW(`+strings.Join(cur, ", ")+`) IS DISTINCT FROM ROW(`+strings.Join(news, ", ")+`)
			ORDER BY x.id`, string(t.Resource)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// revertBefore moves the figures the records about to be removed had
// moved: approved orders leave their customers' deal figures (and a
// customer with no deal left is 潜在客户 again; an 'import_revert' entry in
// its history says so), confirmed payments their orders' and customers'
// paid amounts.
func (s *ImportSession) revertBefore(ctx context.Context, t ImportTarget, jobID int64) error {
	switch t.Table {
	case "orders":
		if _, err := s.tx.Exec(ctx, `/* postgres.revertBefore lock customers */
			SELECT 1 FROM customers WHERE id IN (SELECT o.customer_id FROM orders o JOIN `+revertTable+` r ON r.id = o.id
			                                     WHERE o.status = 'approved') ORDER BY id FOR NO KEY UPDATE`); err != nil {
			return err
		}
		ids, err := s.reverted(ctx)
		if err != nil {
			return err
		}
		return moveDealFigures(ctx, s.tx, ids, -1, figureHistory{actor: s.actor.ID, action: "import_revert", job: jobID})
	case "payments":
		ids, err := s.reverted(ctx)
		if err != nil {
			return err
		}
		return moveMoneyFigures(ctx, s.tx, "payments", "paid_amount", ids, -1)
	}
	return nil
}

// reverted lists the ids of the records a revert removes.
func (s *ImportSession) reverted(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := s.tx.QueryRow(ctx, `/* postgres.ImportSession.reverted */ SELECT coalesce(array_agg(id), '{}') FROM `+revertTable).Scan(&ids)
	return ids, err
}

// revertAfter repairs what the removed records leave behind (parents are
// the customers or leads they were under, as revertParents found them): a
// customer whose primary contact went gets its oldest remaining one; a
// lead's or customer's last follow-up time is the latest of its remaining
// follow-ups, and its next follow-up time and a lead's status go back to
// what they were before the import where nobody has changed them since (a
// lead's status only when it has no follow-up left).
func (s *ImportSession) revertAfter(ctx context.Context, t ImportTarget, jobID int64, parents map[string][]int64) error {
	switch t.Table {
	case "contacts":
		_, err := s.tx.Exec(ctx, `/* postgres.revertAfter primary contacts */
			UPDATE contacts c SET is_primary = true
			FROM (SELECT DISTINCT ON (ct.customer_id) ct.id FROM contacts ct
			      WHERE ct.customer_id = ANY($1::bigint[])
			        AND NOT EXISTS (SELECT 1 FROM contacts p WHERE p.customer_id = ct.customer_id AND p.is_primary)
			      ORDER BY ct.customer_id, ct.created_at, ct.id) first
			WHERE c.id = first.id`, parents["customer_id"])
		return err
	case "follow_ups":
		for _, p := range []struct {
			table, col string
			res        crm.Resource
		}{{"leads", "lead_id", crm.ResLead}, {"customers", "customer_id", crm.ResCustomer}} {
			if _, err := s.tx.Exec(ctx, `/* postgres.revertAfter last follow-up */
				UPDATE `+p.table+` x SET last_follow_up_at = (SELECT max(f.followed_at) FROM follow_ups f WHERE f.`+p.col+` = x.id)
				WHERE x.id = ANY($1::bigint[])`, parents[p.col]); err != nil {
				return err
			}
			status := ""
			if p.res == crm.ResLead {
				status = `, status = CASE WHEN x.status = n.status AND o.status IS NOT NULL AND NOT EXISTS (
				                   SELECT 1 FROM follow_ups f WHERE f.lead_id = x.id) THEN o.status ELSE x.status END`
			}
			if _, err := s.tx.Exec(ctx, `/* postgres.revertAfter follow-up parents */
				UPDATE `+p.table+` x SET
				       next_follow_up_at = CASE WHEN x.next_follow_up_at IS NOT DISTINCT FROM n.next_follow_up_at
				                                THEN o.next_follow_up_at ELSE x.next_follow_up_at END`+status+`
				FROM history h
				     CROSS JOIN LATERAL jsonb_populate_record(NULL::`+p.table+`, h.import_values->'old') o
				     CROSS JOIN LATERAL jsonb_populate_record(NULL::`+p.table+`, h.import_values->'new') n
				WHERE h.import_job_id = $1 AND h.resource = $2 AND h.action = 'update' AND x.id = h.record_id`,
				jobID, string(p.res)); err != nil {
				return err
			}
		}
	}
	return nil
}

// revertParents finds, before they go, the parents of the records a
// revert removes, by parent column (contacts: customers; follow-ups: leads
// and customers).
func (s *ImportSession) revertParents(ctx context.Context, t ImportTarget) (map[string][]int64, error) {
	var cols []string
	switch t.Table {
	case "contacts":
		cols = []string{"customer_id"}
	case "follow_ups":
		cols = []string{"lead_id", "customer_id"}
	}
	out := map[string][]int64{}
	for _, c := range cols {
		rows, err := s.tx.Query(ctx, `/* postgres.revertParents */ SELECT DISTINCT x.`+c+` FROM `+t.Table+` x
			JOIN `+revertTable+` r ON r.id = x.id WHERE x.`+c+` IS NOT NULL`)
		if err != nil {
			return nil, err
		}
		if out[c], err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MarkReverted records that job id was reverted by the session's actor;
// ECONFLICT "import.not_committed" unless it is committed.
func (s *ImportSession) MarkReverted(ctx context.Context, id int64) error {
	tag, err := s.tx.Exec(ctx, `/* postgres.ImportSession.MarkReverted */
		UPDATE import_jobs SET status = 'reverted', reverted_at = now(), reverted_by = $2, updated_at = now()
		WHERE id = $1 AND status = 'committed'`, id, s.actor.ID)
	if err == nil && tag.RowsAffected() == 0 {
		return crm.Errorf(crm.ECONFLICT, "import.not_committed")
	}
	return err
}

// followUpParents moves the parents of the follow-ups the import created
// as recording them does (touchFollowedUp), with an entry in each changed
// parent's history: imported, naming the job, with the values before and
// after, so that a revert can put back what nobody has changed since.
func (s *ImportSession) followUpParents(ctx context.Context, jobID int64) error {
	var ids []int64
	if err := s.tx.QueryRow(ctx, `/* postgres.followUpParents ids */
		SELECT coalesce(array_agg(record_id), '{}') FROM history
		WHERE import_job_id = $1 AND resource = $2 AND action = 'create'`, jobID, string(crm.ResFollowUp)).Scan(&ids); err != nil {
		return err
	}
	parents := []struct {
		table, col string
		res        crm.Resource
	}{{"leads", "lead_id", crm.ResLead}, {"customers", "customer_id", crm.ResCustomer}}
	for _, p := range parents {
		if _, err := s.tx.Exec(ctx, `/* postgres.followUpParents before */
			CREATE TEMP TABLE import_before_`+p.table+` ON COMMIT DROP AS
			SELECT `+parentValues(p.res)+` FROM `+p.table+` x
			WHERE x.id IN (SELECT f.`+p.col+` FROM follow_ups f WHERE f.id = ANY($1::bigint[]))`, ids); err != nil {
			return err
		}
	}
	if err := touchFollowedUp(ctx, s.tx, ids); err != nil {
		return err
	}
	for _, p := range parents {
		changes := `jsonb_build_array(jsonb_build_object('f', 'next_follow_up_at',
			'o', coalesce(to_char(o.next_follow_up_at, 'YYYY-MM-DD HH24:MI'), ''), 'n', coalesce(to_char(u.next_follow_up_at, 'YYYY-MM-DD HH24:MI'), '')))`
		if p.res == crm.ResLead {
			changes += ` || jsonb_build_array(jsonb_build_object('f', 'status', 'o', o.status, 'n', u.status))`
		}
		if _, err := s.tx.Exec(ctx, `/* postgres.followUpParents history */
			WITH u AS (SELECT `+parentValues(p.res)+` FROM `+p.table+` x JOIN import_before_`+p.table+` b ON b.id = x.id)
			INSERT INTO history (resource, record_id, actor_id, action, changes, imported, import_job_id, import_values)
			SELECT $1, u.id, $2, 'update', (SELECT coalesce(jsonb_agg(c), '[]') FROM jsonb_array_elements(`+changes+`) c
			                                WHERE c->>'o' <> c->>'n'),
			       true, $3, jsonb_build_object('old', o.raw, 'new', u.raw)
			FROM u JOIN import_before_`+p.table+` o ON o.id = u.id WHERE u.raw <> o.raw`, string(p.res), s.actor.ID, jobID); err != nil {
			return err
		}
	}
	return nil
}

// parentValues are the columns of a follow-up's parent x (a lead or a
// customer) that recording follow-ups moves and a revert puts back, with
// raw: them as the jsonb of history.import_values.
func parentValues(res crm.Resource) string {
	if res == crm.ResLead {
		return `x.id, x.next_follow_up_at, x.status,
			jsonb_build_object('next_follow_up_at', x.next_follow_up_at, 'status', x.status) AS raw`
	}
	return `x.id, x.next_follow_up_at, jsonb_build_object('next_follow_up_at', x.next_follow_up_at) AS raw`
}
