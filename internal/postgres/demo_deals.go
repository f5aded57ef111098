package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"crm/internal/crm"
)

// seedDeals adds a demo pipeline on top of the demo customers: products,
// opportunities in every stage, quotes with lines, orders in every status
// (approved ones moving their customers' figures, as the workflow does),
// payments and invoices confirmed and not.
func seedDeals(ctx context.Context, tx pgx.Tx, users map[string]int64) error {
	rnd := rand.New(rand.NewPCG(2026, 12))
	type product struct {
		sku, name, category, unit string
		price                     string
	}
	products := []product{
		{"CNC-200", "CNC-200 数控加工中心", "设备", "台", "386000.00"},
		{"CNC-80", "CNC-80 小型数控车床", "设备", "台", "128000.00"},
		{"SRV-10", "SRV-10 伺服电机", "配件", "个", "2680.00"},
		{"PLC-S7", "PLC-S7 可编程控制器", "配件", "个", "5400.00"},
		{"SEN-05", "SEN-05 激光位移传感器", "配件", "个", "1299.90"},
		{"MES-Y", "MES 生产管理系统（年订阅）", "软件", "年", "98000.00"},
		{"ERP-M", "ERP 对接模块", "软件", "套", "45000.00"},
		{"SVC-INST", "安装调试服务", "服务", "次", "8800.00"},
		{"SVC-TRAIN", "操作培训（每人天）", "服务", "人天", "1500.00"},
		{"MNT-Y", "年度维保服务", "服务", "年", "36000.00"},
		{"TOOL-KIT", "刀具套装", "配件", "套", "3999.99"},
		{"OLD-100", "CNC-100（已停产）", "设备", "台", "99000.00"},
	}
	var productIDs []int64
	prices := map[int64]decimal.Decimal{}
	for i, p := range products {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO products (sku, name, category, unit, list_price, active, created_by, is_demo)
			VALUES ($1, $2, $3, $4, $5, $6, $7, true) RETURNING id`, p.sku, p.name, p.category, p.unit, p.price,
			i != len(products)-1, users["boss"]).Scan(&id); err != nil {
			return fmt.Errorf("demo product: %w", err)
		}
		if i != len(products)-1 {
			productIDs = append(productIDs, id)
		}
		prices[id] = decimal.RequireFromString(p.price)
	}

	// The demo customers that have an owner, with that owner's department.
	type cust struct{ id, owner, dept int64 }
	rows, err := tx.Query(ctx, `SELECT id, owner_id, coalesce(department_id, 0) FROM customers WHERE is_demo AND owner_id IS NOT NULL ORDER BY id`)
	if err != nil {
		return err
	}
	var custs []cust
	for rows.Next() {
		var c cust
		if err := rows.Scan(&c.id, &c.owner, &c.dept); err != nil {
			return err
		}
		custs = append(custs, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(custs) == 0 {
		return nil
	}
	deptOf := func(emp int64) (int64, error) {
		var d *int64
		err := tx.QueryRow(ctx, `SELECT department_id FROM employees WHERE id = $1`, emp).Scan(&d)
		return deref(d), err
	}
	now := time.Now()
	lines := func() []crm.Line {
		var out []crm.Line
		for k := 0; k < 1+rnd.IntN(4); k++ {
			pid := productIDs[rnd.IntN(len(productIDs))]
			out = append(out, crm.Line{ProductID: pid, UnitPrice: prices[pid],
				Discount: decimal.RequireFromString([]string{"1", "1", "0.95", "0.9", "0.85"}[rnd.IntN(5)]),
				Quantity: decimal.NewFromInt(int64(1 + rnd.IntN(5)))})
		}
		priced, _ := crm.Priced(out)
		return priced
	}
	insertLines := func(table, key string, id int64, ls []crm.Line) error {
		for i, l := range ls {
			if _, err := tx.Exec(ctx, `INSERT INTO `+table+` (`+key+`, position, product_id, unit_price, discount, quantity, subtotal)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, i+1, l.ProductID, l.UnitPrice, l.Discount, l.Quantity, l.Subtotal); err != nil {
				return err
			}
		}
		return nil
	}

	// Opportunities: every stage, on the customers in turn.
	names := []string{"产线自动化改造", "新厂区设备采购", "MES 系统上线", "年度维保续约", "数控设备升级", "传感器批量采购", "ERP 对接项目", "二期扩产"}
	var opps []struct{ id, customer int64 }
	for i := 0; i < 24; i++ {
		c := custs[i%len(custs)]
		stage := crm.OppStages[i%len(crm.OppStages)]
		created := now.AddDate(0, 0, -(5 + rnd.IntN(90)))
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO opportunities (name, customer_id, stage, expected_amount, expected_close, notes,
			stage_changed_at, owner_id, department_id, created_by, customer_owner_id, customer_department_id, is_demo, created_at)
			VALUES ($1, $2, $3, $4, $5, '', $6, $7, $8, $7, $7, $8, true, $9) RETURNING id`,
			names[i%len(names)], c.id, string(stage), decimal.NewFromInt(int64(50+rnd.IntN(900))*1000),
			now.AddDate(0, 0, 10+rnd.IntN(80)), created.Add(time.Duration(rnd.IntN(72))*time.Hour),
			c.owner, nullID(c.dept), created).Scan(&id); err != nil {
			return fmt.Errorf("demo opportunity: %w", err)
		}
		opps = append(opps, struct{ id, customer int64 }{id, c.id})
	}

	// Quotes on a dozen opportunities.
	for i := 0; i < 12; i++ {
		o := opps[(i*2)%len(opps)]
		var owner, dept int64
		if err := tx.QueryRow(ctx, `SELECT owner_id, coalesce(department_id, 0) FROM opportunities WHERE id = $1`, o.id).Scan(&owner, &dept); err != nil {
			return err
		}
		number, err := nextNumber(ctx, tx, "BJ")
		if err != nil {
			return err
		}
		ls := lines()
		_, total := crm.Priced(ls)
		day := now.AddDate(0, 0, -rnd.IntN(40))
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO quotes (number, customer_id, opportunity_id, quote_date, valid_until, status, total,
			owner_id, department_id, created_by, customer_owner_id, customer_department_id, is_demo, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $8, $9, true, $10) RETURNING id`,
			number, o.customer, o.id, day, day.AddDate(0, 0, 30), string(crm.QuoteStatuses[i%4]), total, owner, nullID(dept), day).Scan(&id); err != nil {
			return fmt.Errorf("demo quote: %w", err)
		}
		if err := insertLines("quote_lines", "quote_id", id, ls); err != nil {
			return err
		}
	}

	// Orders in every status.
	statuses := []crm.OrderStatus{crm.OrderApproved, crm.OrderApproved, crm.OrderPending, crm.OrderDraft,
		crm.OrderApproved, crm.OrderRejected, crm.OrderApproved, crm.OrderPending, crm.OrderApproved, crm.OrderDraft,
		crm.OrderApproved, crm.OrderPending, crm.OrderRejected, crm.OrderApproved}
	for i, st := range statuses {
		c := custs[(i*3)%len(custs)]
		dept, err := deptOf(c.owner)
		if err != nil {
			return err
		}
		number, err := nextNumber(ctx, tx, "DD")
		if err != nil {
			return err
		}
		ls := lines()
		_, total := crm.Priced(ls)
		created := now.AddDate(0, 0, -(3 + rnd.IntN(120)))
		var approver, decider int64
		var submitted, decided *time.Time
		comment := ""
		if st != crm.OrderDraft {
			if approver, err = approverFor(ctx, tx, c.dept); err != nil {
				return err
			}
			t := created.Add(24 * time.Hour)
			submitted = &t
		}
		if st == crm.OrderApproved || st == crm.OrderRejected {
			decider = approver
			if decider == 0 {
				decider = users["boss"]
			}
			t := submitted.Add(20 * time.Hour)
			decided = &t
			comment = map[crm.OrderStatus]string{crm.OrderApproved: "同意。", crm.OrderRejected: "折扣过低，请重新报价。"}[st]
		}
		var submitter *int64
		if submitted != nil {
			submitter = &c.owner
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO orders (number, customer_id, sign_date, status, total, approver_id, submitted_by,
			submitted_at, decided_by, decided_at, decision_comment, owner_id, department_id, created_by, customer_owner_id,
			customer_department_id, is_demo, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12, $12, $14, true, $15) RETURNING id`,
			number, c.id, created, string(st), total, nullID(approver), submitter, submitted, nullID(decider), decided, comment,
			c.owner, nullID(dept), nullID(c.dept), created).Scan(&id); err != nil {
			return fmt.Errorf("demo order: %w", err)
		}
		if err := insertLines("order_lines", "order_id", id, ls); err != nil {
			return err
		}
		if st != crm.OrderApproved {
			continue
		}
		if err := moveDealFigures(ctx, tx, []int64{id}, +1, figureHistory{actor: decider, action: "deal"}); err != nil {
			return err
		}
		// Payments: a confirmed first instalment, sometimes a second one
		// waiting for finance; invoices likewise.
		first := crm.RoundMoney(total.Mul(decimal.RequireFromString([]string{"0.3", "0.5", "1"}[i%3])))
		paidOn := created.AddDate(0, 0, 10)
		money := []struct {
			table     string
			amount    decimal.Decimal
			confirmed bool
		}{{"payments", first, true}, {"invoices", first, true}}
		if rest := total.Sub(first); rest.IsPositive() && i%2 == 0 {
			money = append(money, struct {
				table     string
				amount    decimal.Decimal
				confirmed bool
			}{"payments", crm.RoundMoney(rest.Div(decimal.NewFromInt(2))), false})
		}
		for _, m := range money {
			var confirmedBy *int64
			var confirmedAt *time.Time
			if m.confirmed {
				confirmedBy = ptr(users["finance"])
				t := paidOn.Add(48 * time.Hour)
				confirmedAt = &t
			}
			var moneyID int64
			var err error
			if m.table == "payments" {
				err = tx.QueryRow(ctx, `INSERT INTO payments (order_id, customer_id, amount, paid_on, method, confirmed, confirmed_by,
					confirmed_at, owner_id, department_id, created_by, customer_owner_id, customer_department_id, is_demo, created_at)
					VALUES ($1, $2, $3, $4, 'bank_transfer', $5, $6, $7, $8, $9, $8, $8, $10, true, $11) RETURNING id`,
					id, c.id, m.amount, paidOn, m.confirmed, confirmedBy, confirmedAt, c.owner, nullID(dept), nullID(c.dept), paidOn).Scan(&moneyID)
			} else {
				err = tx.QueryRow(ctx, `INSERT INTO invoices (order_id, customer_id, amount, invoice_no, invoice_type, issued_on, confirmed,
					confirmed_by, confirmed_at, owner_id, department_id, created_by, customer_owner_id, customer_department_id, is_demo, created_at)
					VALUES ($1, $2, $3, $4, 'special', $5, $6, $7, $8, $9, $10, $9, $9, $11, true, $12) RETURNING id`,
					id, c.id, m.amount, fmt.Sprintf("0440%08d", 1000+i), paidOn, m.confirmed, confirmedBy, confirmedAt, c.owner, nullID(dept), nullID(c.dept), paidOn).Scan(&moneyID)
			}
			if err != nil {
				return fmt.Errorf("demo %s: %w", m.table, err)
			}
			if !m.confirmed {
				continue
			}
			col := map[string]string{"payments": "paid_amount", "invoices": "invoiced_amount"}[m.table]
			if err := moveMoneyFigures(ctx, tx, m.table, col, []int64{moneyID}, +1); err != nil {
				return err
			}
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
