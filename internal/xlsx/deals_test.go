package xlsx_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/xlsx"
)

var orderHeader = []any{"订单编号*", "客户名称*", "签约日期", "订单状态", "负责人（用户名）", "订单备注", "产品 SKU*", "单价", "折扣", "数量*"}

var paymentHeader = []any{"订单编号*", "回款金额*", "回款日期*", "付款方式", "财务确认", "负责人（用户名）", "备注"}

// deals is an organisation with two products, a campaign and two
// customers of the rep (one from the campaign).
type deals struct {
	*org
	campaign, acme, beta int64
}

func newDeals(t *testing.T) *deals {
	t.Helper()
	ctx := context.Background()
	d := &deals{org: newOrg(t)}
	for _, p := range []crm.ProductInput{
		{SKU: "CRM-STD", Name: "CRM 标准版", ListPrice: decimal.RequireFromString("12800")},
		{SKU: "SVC", Name: "实施服务", ListPrice: decimal.RequireFromString("1500")},
	} {
		if _, err := d.db.CreateProduct(ctx, d.admin, p); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if d.campaign, err = d.db.CreateCampaign(ctx, d.boss, crm.CampaignInput{Name: "春季展会", Status: crm.CampaignActive}); err != nil {
		t.Fatal(err)
	}
	if d.acme, err = d.db.CreateCustomer(ctx, d.boss, crm.CustomerInput{Name: "甲公司", CampaignID: d.campaign}, postgres.NewOwner{OwnerID: d.repID}); err != nil {
		t.Fatal(err)
	}
	if d.beta, err = d.db.CreateCustomer(ctx, d.rep, crm.CustomerInput{Name: "乙公司"}, postgres.NewOwner{}); err != nil {
		t.Fatal(err)
	}
	return d
}

// commit previews and commits a file as a, and fails the test on an error
// of either.
func commit(t *testing.T, db *postgres.DB, a crm.Actor, table string, data []byte, opts xlsx.Options) (int64, *xlsx.Report) {
	t.Helper()
	ctx := context.Background()
	im := importer(db)
	id, _, err := im.Preview(ctx, a, xlsx.TableByName(table), table+".xlsx", data, opts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := im.Commit(ctx, a, id, opts)
	if err != nil {
		t.Fatal(err)
	}
	return id, rep
}

type figures struct {
	DealAmount string
	DealCount  int
	Stage      string
	Paid       string
}

func customerFigures(t *testing.T, db *postgres.DB, id int64) figures {
	t.Helper()
	var f figures
	if err := db.Pool.QueryRow(context.Background(), `SELECT deal_amount::text, deal_count, stage, paid_amount::text FROM customers WHERE id = $1`, id).
		Scan(&f.DealAmount, &f.DealCount, &f.Stage, &f.Paid); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestImportOrders: one row per line, grouped by number; an approved
// order moves its customer's deal figures, stage and campaign exactly as
// an approval does (decided on its sign date, by the importer); a draft
// moves nothing; numbers are kept and the DD counter moves past them.
func TestImportOrders(t *testing.T) {
	t.Parallel()
	d := newDeals(t)
	ctx := context.Background()
	year := time.Now().In(crm.Zone).Year()
	own := "DD-" + itoa(year) + "-00042"
	data := book(t, orderHeader,
		[]any{"【示例】HT-1", "甲公司", "2025-06-30", "草稿", "", "", "CRM-STD", "", "", "1"},
		[]any{"HT-2025-0001", "甲公司", "2025-06-30", "已通过", "rep", "首单", "CRM-STD", "12800", "0.9", "2"},
		[]any{"HT-2025-0001", "", "", "", "", "", "SVC", "", "9.5折", "3.5"},
		[]any{own, "乙公司", "2026/1/15", "", "", "", "SVC", "1000", "", "1"},
		[]any{"HT-2025-0003", "乙公司", "", "Approved", "", "", "SVC", "", "", "1"},
		[]any{"HT-2025-0003", "", "", "", "", "", "SVC", "", "", "0.333"},
	)
	id, rep := commit(t, d.db, d.admin, "orders", data, xlsx.Options{OnError: "skip"})
	// 0.333 has three decimals: the row is refused, and its approved order
	// with it (a line error holds its order back).
	if rep.Counts.New != 3 || rep.Counts.Error != 2 || rep.Examples != 1 {
		t.Fatalf("counts %+v %q", rep.Counts, messages(rep))
	}
	var total, status, decided string
	var by int64
	if err := d.db.Pool.QueryRow(ctx, `SELECT total::text, status, to_char(decided_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'), coalesce(decided_by, 0)
		FROM orders WHERE number = 'HT-2025-0001'`).Scan(&total, &status, &decided, &by); err != nil {
		t.Fatal(err)
	}
	// 12800 × 0.9 × 2 = 23040; 1500 × 0.95 × 3.5 = 4987.50
	if total != "28027.50" || status != "approved" || decided != "2025-06-30 00:00" || by != d.adminID {
		t.Fatalf("order: %s %s %s %d", total, status, decided, by)
	}
	if n := count(t, d.db, `SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.number = 'HT-2025-0001'
		AND ((l.position = 1 AND l.subtotal = 23040 AND l.discount = 0.9) OR (l.position = 2 AND l.subtotal = 4987.50 AND l.unit_price = 1500))`); n != 2 {
		t.Fatal("lines")
	}
	if n := count(t, d.db, `SELECT count(*) FROM orders WHERE number = 'HT-2025-0001' AND owner_id = $1 AND created_by = $2 AND customer_owner_id = $1`, d.repID, d.adminID); n != 1 {
		t.Fatal("ownership")
	}
	if f := customerFigures(t, d.db, d.acme); f != (figures{"28027.50", 1, "won", "0.00"}) {
		t.Fatalf("甲公司 %+v", f)
	}
	if f := customerFigures(t, d.db, d.beta); f != (figures{"0.00", 0, "potential", "0.00"}) {
		t.Fatalf("乙公司 %+v (drafts move nothing)", f)
	}
	if n := count(t, d.db, `SELECT count(*) FROM campaigns WHERE id = $1 AND deal_amount = 28027.50`, d.campaign); n != 1 {
		t.Fatal("the campaign's deal amount did not follow")
	}
	if n := count(t, d.db, `SELECT count(*) FROM history WHERE import_job_id = $1 AND imported AND
		((resource = 'order' AND action = 'create') OR (resource = 'customer' AND action = 'deal'))`, id); n != 3 {
		t.Fatalf("history: %d", n)
	}
	// The CRM's own next number comes after the imported one.
	next, err := d.db.CreateOrder(ctx, d.rep, crm.OrderInput{CustomerID: d.beta, Lines: []crm.Line{{ProductID: productID(t, d.db, "SVC"),
		UnitPrice: decimal.NewFromInt(1), Discount: decimal.NewFromInt(1), Quantity: decimal.NewFromInt(1)}}})
	if err != nil {
		t.Fatal(err)
	}
	var number string
	_ = d.db.Pool.QueryRow(ctx, `SELECT number FROM orders WHERE id = $1`, next).Scan(&number)
	if number != "DD-"+itoa(year)+"-00043" {
		t.Fatalf("next number %s", number)
	}

	// Again: existing numbers are skipped, even when "update" is asked.
	_, rep = commit(t, d.db, d.admin, "orders", data, xlsx.Options{OnError: "skip", Existing: "update"})
	if rep.Counts.New != 0 || rep.Counts.Skip != 3 || rep.Options.Existing != "skip" {
		t.Fatalf("re-import %+v %+v", rep.Counts, rep.Options)
	}
	if f := customerFigures(t, d.db, d.acme); f.DealCount != 1 {
		t.Fatalf("a re-import moved the figures: %+v", f)
	}
}

// TestImportOrdersGroups: an order's lines must be together, its own
// columns the same on each line, its first line complete; one bad line
// holds the whole order back (a further line with a blank number too).
func TestImportOrdersGroups(t *testing.T) {
	t.Parallel()
	d := newDeals(t)
	data := book(t, orderHeader,
		[]any{"A-1", "甲公司", "", "", "", "", "CRM-STD", "", "", "1"},
		[]any{"A-2", "乙公司", "", "", "", "", "SVC", "", "", "1"},
		[]any{"A-1", "", "", "", "", "", "SVC", "", "", "1"},
		[]any{"A-3", "甲公司", "", "", "", "", "SVC", "", "", "1"},
		[]any{"A-3", "乙公司", "", "", "", "", "SVC", "", "", "1"},
		[]any{"A-4", "", "", "", "", "", "SVC", "", "", "1"},
		[]any{"A-5", "甲公司", "", "", "", "", "SVC", "", "1.5", "1"},
		[]any{"A-5", "甲公司", "", "", "", "", "NOPE", "", "", "1"},
		[]any{"", "甲公司", "", "", "", "", "SVC", "", "", "1"},
	)
	rep, err := importer(d.db).Check(context.Background(), d.admin, xlsx.TableByName("orders"), data, xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"第 4 行「订单编号」：订单「A-1」的明细不连续：它已在第 2 行出现过。同一订单的明细须排在相邻的行。",
		"第 6 行「客户名称」：与本订单第 5 行的订单信息不一致（订单信息填在第一行，其余行可留空）。",
		"第 5 行：订单「A-3」的第 6 行有错误，整个订单不导入。",
		"第 7 行「客户名称」：必填，不能为空。",
		"第 8 行「折扣」：「1.5」不是有效的折扣：应为大于 0、不超过 1 的系数（如 0.9），或 90%、9折。",
		"第 9 行「产品 SKU」：找不到 SKU 为「NOPE」的产品。",
		"第 10 行：订单「A-5」的第 8 行有错误，整个订单不导入。", // a further line of A-5 (its number left blank)
	}
	got := messages(rep)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || rep.Counts.New != 2 || rep.Counts.Error != 7 {
		t.Fatalf("errors (counts %+v)\n%s\nwant\n%s", rep.Counts, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestImportPayments: payments go against approved orders; confirmed ones
// move the order's and the customer's paid amounts as a confirmation does,
// and may not pass the order's total — counting the file's own confirmed
// payments; a payment already there (order, amount, day) is skipped.
func TestImportPayments(t *testing.T) {
	t.Parallel()
	d := newDeals(t)
	ctx := context.Background()
	commit(t, d.db, d.admin, "orders", book(t, orderHeader,
		[]any{"HT-1", "甲公司", "2025-06-30", "已通过", "", "", "CRM-STD", "10000", "", "1"},
		[]any{"HT-2", "乙公司", "2025-06-30", "草稿", "", "", "CRM-STD", "10000", "", "1"},
	), xlsx.Options{})
	data := book(t, paymentHeader,
		[]any{"HT-1", "6000", "2025-07-01", "银行转账", "是", "rep", ""},
		[]any{"HT-1", "3000", "2025-07-15", "转账", "是", "", ""},
		[]any{"HT-1", "2000", "2025-08-01", "", "是", "", "超出"},
		[]any{"HT-1", "1000", "2025-08-02", "", "否", "", "未确认"},
		[]any{"HT-2", "1000", "2025-08-02", "", "否", "", ""},
		[]any{"HT-9", "1000", "2025-08-02", "", "否", "", ""},
	)
	id, rep := commit(t, d.db, d.admin, "payments", data, xlsx.Options{OnError: "skip"})
	want := []string{
		"第 4 行「回款金额」：超过订单「HT-1」的待回款金额（剩余 ¥1,000.00）。",
		"第 6 行「订单编号」：订单「HT-2」还没有审批通过，不能登记回款。",
		"第 7 行「订单编号」：找不到编号为「HT-9」的订单。",
	}
	if got := messages(rep); !slices.Equal(got, want) || rep.Counts.New != 3 {
		t.Fatalf("counts %+v\n%s", rep.Counts, strings.Join(got, "\n"))
	}
	var paid string
	if err := d.db.Pool.QueryRow(ctx, `SELECT paid_amount::text FROM orders WHERE number = 'HT-1'`).Scan(&paid); err != nil || paid != "9000.00" {
		t.Fatalf("order paid %s %v", paid, err)
	}
	if f := customerFigures(t, d.db, d.acme); f.Paid != "9000.00" {
		t.Fatalf("customer paid %+v", f)
	}
	if n := count(t, d.db, `SELECT count(*) FROM payments WHERE confirmed AND confirmed_by = $1 AND method = 'bank_transfer'
		AND customer_id = $3 AND customer_owner_id = $2 AND created_by = $1`, d.adminID, d.repID, d.acme); n != 2 {
		t.Fatalf("confirmed payments by transfer: %d", n)
	}
	if n := count(t, d.db, `SELECT count(*) FROM payments WHERE (amount = 6000 AND owner_id = $1 AND confirmed_at = '2025-07-01 00:00+08')
		OR (amount = 3000 AND owner_id = $2)`, d.repID, d.adminID); n != 2 {
		t.Fatal("owners: the file's, else the importer; confirmed on the payment day")
	}
	if n := count(t, d.db, `SELECT count(*) FROM history WHERE import_job_id = $1 AND resource = 'payment' AND action IN ('create', 'confirm')`, id); n != 5 {
		t.Fatalf("history %d", n)
	}
	// Again: the same payments are there already.
	_, rep = commit(t, d.db, d.admin, "payments", book(t, paymentHeader, []any{"HT-1", "6,000.00", "2025/7/1", "", "是", "", ""}), xlsx.Options{})
	if rep.Counts.Skip != 1 || rep.Counts.New != 0 {
		t.Fatalf("re-import %+v %q", rep.Counts, messages(rep))
	}
}

func productID(t *testing.T, db *postgres.DB, sku string) int64 {
	t.Helper()
	var id int64
	if err := db.Pool.QueryRow(context.Background(), `SELECT id FROM products WHERE sku = $1`, sku).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func itoa(n int) string { return decimal.NewFromInt(int64(n)).String() }
