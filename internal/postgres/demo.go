package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"crm/internal/crm"
)

// DemoPassword is the password of every demo login.
const DemoPassword = "demo1234"

// DemoLogin is one demo account, printed by make run.
type DemoLogin struct {
	Username string
	Name     string
	Role     crm.Role
	Dept     string
}

// DemoLogins lists the demo accounts that SeedDemo creates.
var DemoLogins = []DemoLogin{
	{"admin", "系统管理员", crm.RoleAdmin, "总经办"},
	{"boss", "王总", crm.RoleManagement, "总经办"},
	{"manager", "李明", crm.RoleSalesManager, "销售部"},
	{"manager1", "张伟", crm.RoleSalesManager, "销售一部"},
	{"rep1", "赵敏", crm.RoleSalesRep, "销售一部"},
	{"rep2", "钱进", crm.RoleSalesRep, "销售一部"},
	{"rep3", "孙丽", crm.RoleSalesRep, "销售二部"},
	{"marketing", "周婷", crm.RoleMarketing, "市场部"},
	{"finance", "吴芳", crm.RoleFinance, "财务部"},
}

// demoDepartments in creation order (parents first), with their heads.
var demoDepartments = []struct{ Name, Parent, Head string }{
	{"总经办", "", "boss"},
	{"销售部", "总经办", "manager"},
	{"销售一部", "销售部", "manager1"},
	{"销售二部", "销售部", ""},
	{"市场部", "总经办", "marketing"},
	{"财务部", "总经办", "finance"},
}

// ErrDemoPresent is returned by SeedDemo when demo rows exist already.
var ErrDemoPresent = errors.New("demo data is present already")

// SeedDemo creates the demo organisation in one transaction, every row
// flagged is_demo. hash is the hash of DemoPassword (hashing stays out of
// storage). It returns ErrDemoPresent when there is demo data already.
func (db *DB) SeedDemo(ctx context.Context, hash string) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		var present bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM employees WHERE is_demo) OR EXISTS (SELECT 1 FROM departments WHERE is_demo)`).Scan(&present); err != nil {
			return err
		}
		if present {
			return ErrDemoPresent
		}
		depts := map[string]int64{}
		for _, d := range demoDepartments {
			var id int64
			if err := tx.QueryRow(ctx, `/* postgres.SeedDemo department */
				INSERT INTO departments (name, parent_id, is_demo) VALUES ($1, $2, true) RETURNING id`,
				d.Name, nullID(depts[d.Parent])).Scan(&id); err != nil {
				return fmt.Errorf("demo department %s: %w", d.Name, translate(err))
			}
			depts[d.Name] = id
		}
		users := map[string]int64{}
		for _, u := range DemoLogins {
			var id int64
			if err := tx.QueryRow(ctx, `/* postgres.SeedDemo employee */
				INSERT INTO employees (username, name, email, phone, department_id, role, password_hash, is_demo)
				VALUES ($1, $2, $3, $4, $5, $6, $7, true) RETURNING id`,
				u.Username, u.Name, u.Username+"@demo.example", fmt.Sprintf("1380013%04d", len(users)+1),
				nullID(depts[u.Dept]), string(u.Role), hash).Scan(&id); err != nil {
				return fmt.Errorf("demo employee %s: %w", u.Username, translate(err))
			}
			users[u.Username] = id
		}
		for _, d := range demoDepartments {
			if d.Head == "" {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE departments SET head_id = $2 WHERE id = $1`, depts[d.Name], users[d.Head]); err != nil {
				return err
			}
		}
		if err := seedAcquisition(ctx, tx, users, depts); err != nil {
			return err
		}
		return seedDeals(ctx, tx, users)
	})
}

// demoTables lists the tables holding demo rows, in the order their rows
// are purged (records that point at others first). Later issues prepend
// their tables.
var demoTables = []struct{ Table, Label string }{
	{"invoices", "demo.table.invoices"},
	{"payments", "demo.table.payments"},
	{"orders", "demo.table.orders"},
	{"quotes", "demo.table.quotes"},
	{"opportunities", "demo.table.opportunities"},
	{"follow_ups", "demo.table.follow_ups"},
	{"contacts", "demo.table.contacts"},
	{"customers", "demo.table.customers"},
	{"leads", "demo.table.leads"},
	{"campaigns", "demo.table.campaigns"},
	{"products", "demo.table.products"},
	{"employees", "demo.table.employees"},
	{"departments", "demo.table.departments"},
}

// demoHistory maps history's (and notifications') resource names to the
// tables whose demo rows take their history and notifications with them.
var demoHistory = map[string]string{
	"follow_up": "follow_ups", "contact": "contacts", "customer": "customers", "lead": "leads", "campaign": "campaigns",
	"opportunity": "opportunities", "quote": "quotes", "order": "orders", "payment": "payments", "invoice": "invoices",
	"product": "products",
}

// DemoCounts returns the number of demo rows per table (label → rows).
func (db *DB) DemoCounts(ctx context.Context) ([]struct {
	Label string
	Rows  int
}, error) {
	var out []struct {
		Label string
		Rows  int
	}
	for i := len(demoTables) - 1; i >= 0; i-- {
		t := demoTables[i]
		var n int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM `+t.Table+` WHERE is_demo`).Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, struct {
			Label string
			Rows  int
		}{t.Label, n})
	}
	return out, nil
}

// PurgeDemo removes every demo row and nothing else, in one transaction.
// It refuses (ECONFLICT) when real records still point at demo rows — a
// *DemoInUseError naming them —, when the actor doing it is a demo
// account, or when no active admin would remain; a refusal removes nothing.
func (db *DB) PurgeDemo(ctx context.Context, actorID int64) (removed int64, err error) {
	err = db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockAdmins(ctx, tx); err != nil {
			return err
		}
		if actorID != 0 {
			var demo bool
			if err := tx.QueryRow(ctx, `SELECT is_demo FROM employees WHERE id = $1`, actorID).Scan(&demo); err != nil {
				return translate(err)
			}
			if demo {
				return crm.Errorf(crm.ECONFLICT, "error.demo_self")
			}
		}
		var admins int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM employees WHERE role = 'admin' AND active AND NOT is_demo`).Scan(&admins); err != nil {
			return err
		}
		if admins == 0 {
			return crm.Errorf(crm.ECONFLICT, "error.demo_no_admin")
		}
		// Demo departments point at demo heads and demo employees at demo
		// departments: break that cycle first.
		if _, err := tx.Exec(ctx, `UPDATE departments SET head_id = NULL WHERE is_demo`); err != nil {
			return err
		}
		for res, table := range demoHistory {
			if _, err := tx.Exec(ctx, `DELETE FROM history WHERE resource = $1 AND record_id IN (SELECT id FROM `+table+` WHERE is_demo)`, res); err != nil {
				return err
			}
			// Notifications about demo records go with them, whoever they
			// were written to (a demo recipient's go with the recipient).
			if _, err := tx.Exec(ctx, `/* postgres.PurgeDemo notifications */ DELETE FROM notifications
				WHERE resource = $1 AND record_id IN (SELECT id FROM `+table+` WHERE is_demo)`, res); err != nil {
				return err
			}
		}
		// Real records pointing at demo rows keep them: name them. The
		// transaction rolls back on a refusal, whatever was done above.
		blockers, total, err := demoBlockers(ctx, tx)
		if err != nil {
			return err
		}
		if total > 0 {
			return &DemoInUseError{Blockers: blockers, Total: total}
		}
		for _, c := range demoCleared {
			if _, err := tx.Exec(ctx, `/* postgres.PurgeDemo clear */ `+c.sql); err != nil {
				return err
			}
		}
		// A reference demoRefs missed still stops the purge, by table.
		inUse := func(err error) error {
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "23503" {
				return crm.Errorf(crm.ECONFLICT, "error.demo_in_use", pe.TableName)
			}
			return err
		}
		for _, t := range demoTables {
			switch t.Table {
			case "contacts", "customers", "leads":
				continue // with the follow-ups, below
			case "follow_ups":
				// Demo leads and customers point at each other (converted
				// leads): delete them, their contacts and follow-ups in one
				// statement, where the foreign keys are checked at its end.
				var n int64
				err := tx.QueryRow(ctx, `/* postgres.PurgeDemo leads and customers */
					WITH fu AS (DELETE FROM follow_ups WHERE is_demo OR lead_id IN (SELECT id FROM leads WHERE is_demo)
					                                      OR customer_id IN (SELECT id FROM customers WHERE is_demo) RETURNING 1),
					     ct AS (DELETE FROM contacts WHERE is_demo OR customer_id IN (SELECT id FROM customers WHERE is_demo) RETURNING 1),
					     cu AS (DELETE FROM customers WHERE is_demo RETURNING 1),
					     le AS (DELETE FROM leads WHERE is_demo RETURNING 1)
					SELECT (SELECT count(*) FROM fu) + (SELECT count(*) FROM ct) + (SELECT count(*) FROM cu) + (SELECT count(*) FROM le)`).Scan(&n)
				if err != nil {
					return inUse(err)
				}
				removed += n
			default:
				tag, err := tx.Exec(ctx, `/* postgres.PurgeDemo */ DELETE FROM `+t.Table+` WHERE is_demo`)
				if err != nil {
					return inUse(err)
				}
				removed += tag.RowsAffected()
			}
		}
		return nil
	})
	return removed, err
}
