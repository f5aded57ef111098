package postgres

// Excel imports (数据初始化, SPEC §6). This file runs one import's
// transaction (ImportSession) and its batched look-ups that validate a
// file (names, usernames, SKUs and keys, many at a time, each within what
// the importer may view). The rest is split by concern: imports_jobs.go
// (the job rows, the commit's lock, progress and interruption),
// import_targets.go (the tables' SQL targets), imports_stage.go (staging
// and the set-based writes with their history), imports_commit.go (each
// table's own writes: the department tree, primary contacts, the
// parents' follow-up times, orders and payments with their figures) and
// imports_revert.go. internal/xlsx drives it: it reads and validates the
// file and decides every value; these files know the SQL. The figures a
// commit or revert moves are moved by the workflows' own functions
// (figures.go).

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

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
