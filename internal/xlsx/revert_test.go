package xlsx_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/postgres"
	"crm/internal/xlsx"
)

// state fingerprints tables (every column but updated_at, row by row), so
// that a test can say "exactly as before".
func state(t *testing.T, db *postgres.DB, tables ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tb := range tables {
		var h string
		if err := db.Pool.QueryRow(context.Background(), `SELECT coalesce(md5(string_agg((to_jsonb(x) - 'updated_at')::text, ',' ORDER BY x.id)), '')
			FROM `+tb+` x`).Scan(&h); err != nil {
			t.Fatalf("state of %s: %v", tb, err)
		}
		out[tb] = h
	}
	return out
}

func sameState(t *testing.T, before, after map[string]string) {
	t.Helper()
	for tb, h := range before {
		if after[tb] != h {
			t.Errorf("%s is not as it was", tb)
		}
	}
}

func blockerTexts(list []postgres.ImportBlocker) []string {
	var out []string
	for _, b := range list {
		out = append(out, xlsx.BlockerMessage(b, i18n.ZH))
	}
	return out
}

// TestImportRevertCustomers: reverting removes the customers an import
// created and gives those it updated their old values back; the
// campaigns' counts (triggers) come back; the job says who reverted it;
// a second revert is refused.
func TestImportRevertCustomers(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	campaign, err := o.db.CreateCampaign(ctx, o.boss, crm.CampaignInput{Name: "春季展会", Status: crm.CampaignActive})
	if err != nil {
		t.Fatal(err)
	}
	old, err := o.db.CreateCustomer(ctx, o.rep, crm.CustomerInput{Name: "老客户", Phone: "1"}, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	tables := []string{"customers", "campaigns", "contacts"}
	before := state(t, o.db, tables...)
	id, rep := commit(t, o.db, o.boss, "customers", book(t, []any{"客户名称", "客户级别", "电话", "市场活动"},
		[]any{"老客户", "A 重点客户", "021-99", "春季展会"},
		[]any{"新客户甲", "", "", "春季展会"},
		[]any{"新客户乙", "B 普通客户", "", ""},
	), xlsx.Options{Existing: "update"})
	if rep.Counts.New != 2 || rep.Counts.Update != 1 {
		t.Fatalf("import %+v", rep.Counts)
	}
	if n := count(t, o.db, `SELECT customer_count FROM campaigns WHERE id = $1`, campaign); n != 2 {
		t.Fatalf("campaign's customers after the import: %d", n)
	}
	res, blockers, err := importer(o.db).Revert(ctx, o.boss, id)
	if err != nil {
		t.Fatalf("revert: %v %q", err, blockerTexts(blockers))
	}
	if res.Deleted != 2 || res.Restored != 1 {
		t.Fatalf("revert %+v", res)
	}
	sameState(t, before, state(t, o.db, tables...))
	if n := count(t, o.db, `SELECT customer_count FROM campaigns WHERE id = $1`, campaign); n != 0 {
		t.Fatalf("campaign's customers after the revert: %d", n)
	}
	hist, err := o.db.History(ctx, crm.ResCustomer, old)
	if err != nil || len(hist) != 3 || hist[0].Action != "import_revert" || !slices.Contains(hist[0].Changes, crm.Change{Field: "phone", Old: "021-99", New: "1"}) {
		t.Fatalf("history of the restored customer: %+v %v", hist, err)
	}
	j, err := o.db.ImportJobByID(ctx, o.boss, id)
	if err != nil || j.Status != crm.ImportReverted || j.RevertedByName != "测试boss" || j.RevertedAt == nil {
		t.Fatalf("job %+v %v", j, err)
	}
	if _, _, err := importer(o.db).Revert(ctx, o.boss, id); crm.ErrorCode(err) != crm.ECONFLICT {
		t.Fatalf("second revert: %v", err)
	}
}

// TestImportRevertBlocked: a revert is held back — and writes nothing —
// by records created since that depend on the import's records, by the
// import's records changed since (by hand or by a later import); the
// reasons name the record and the dependency.
func TestImportRevertBlocked(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	if _, err := o.db.CreateCustomer(ctx, o.rep, crm.CustomerInput{Name: "老客户", Phone: "1"}, postgres.NewOwner{}); err != nil {
		t.Fatal(err)
	}
	id, _ := commit(t, o.db, o.boss, "customers", book(t, []any{"客户名称", "电话", "负责人（用户名）"},
		[]any{"老客户", "2", ""},
		[]any{"有联系人", "", "rep"},
		[]any{"被分配", "", "rep"},
		[]any{"被再次导入", "", "rep"},
		[]any{"无关", "", "rep"},
	), xlsx.Options{Existing: "update"})
	var withContact, assigned, oldID int64
	_ = o.db.Pool.QueryRow(ctx, `SELECT (SELECT id FROM customers WHERE name = '有联系人'), (SELECT id FROM customers WHERE name = '被分配'),
		(SELECT id FROM customers WHERE name = '老客户')`).Scan(&withContact, &assigned, &oldID)
	for _, name := range []string{"王芳", "刘强"} {
		if _, err := o.db.CreateContact(ctx, o.rep, crm.ContactInput{CustomerID: withContact, Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.db.AssignCustomer(ctx, o.boss, assigned, o.bossID); err != nil {
		t.Fatal(err)
	}
	later, _ := commit(t, o.db, o.boss, "customers", book(t, []any{"客户名称", "地址"}, []any{"被再次导入", "北京"}), xlsx.Options{Existing: "update"})
	if _, err := o.db.Pool.Exec(ctx, `UPDATE customers SET phone = '3' WHERE id = $1`, oldID); err != nil {
		t.Fatal(err)
	}
	before := state(t, o.db, "customers", "contacts", "history", "import_jobs")
	_, blockers, err := importer(o.db).Revert(ctx, o.boss, id)
	if crm.ErrorCode(err) != crm.ECONFLICT {
		t.Fatalf("revert: %v", err)
	}
	got := blockerTexts(blockers)
	today := time.Now().In(crm.Zone).Format("2006-01-02")
	want := []string{
		"「有联系人」：之后添加的联系人（2 条）依赖它。",
		"「被分配」在导入后被修改过（测试boss " + today,
		"「被再次导入」在导入后被导入 #" + itoa(int(later)) + " 修改过，请先撤销那次导入。",
		"「老客户」在导入后被修改过。", // changed without a history entry: nobody to name
	}
	if len(got) != len(want) {
		t.Fatalf("blockers %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("blocker %d: %q, want %q…", i, got[i], want[i])
		}
	}
	sameState(t, before, state(t, o.db, "customers", "contacts", "history", "import_jobs"))
}

// TestImportRevertDeals: payments hold back the revert of their orders;
// reverting the payments takes their amounts off the orders and the
// customers, reverting the orders the customers' deal figures, stage and
// campaign figures — all as they were before.
func TestImportRevertDeals(t *testing.T) {
	t.Parallel()
	d := newDeals(t)
	ctx := context.Background()
	tables := []string{"customers", "campaigns", "orders", "order_lines", "payments", "leads"}
	before := state(t, d.db, tables...)
	orders, _ := commit(t, d.db, d.admin, "orders", book(t, orderHeader,
		[]any{"HT-1", "甲公司", "2025-06-30", "已通过", "", "", "CRM-STD", "10000", "", "1"},
		[]any{"HT-1", "", "", "", "", "", "SVC", "1000", "", "2"},
		[]any{"HT-2", "甲公司", "2025-07-30", "已通过", "", "", "SVC", "500", "", "1"},
		[]any{"HT-3", "乙公司", "", "草稿", "", "", "SVC", "", "", "1"},
	), xlsx.Options{})
	mid := state(t, d.db, tables...)
	payments, _ := commit(t, d.db, d.admin, "payments", book(t, paymentHeader,
		[]any{"HT-1", "5000", "2025-07-01", "", "是", "", ""},
		[]any{"HT-1", "1000", "2025-07-02", "", "否", "", ""},
	), xlsx.Options{})
	if f := customerFigures(t, d.db, d.acme); f != (figures{"12500.00", 2, "won", "5000.00"}) {
		t.Fatalf("after the imports %+v", f)
	}
	im := importer(d.db)
	_, blockers, err := im.Revert(ctx, d.admin, orders)
	if got := blockerTexts(blockers); crm.ErrorCode(err) != crm.ECONFLICT || len(got) != 1 || got[0] != "「HT-1」：之后添加的回款单（2 条）依赖它。" {
		t.Fatalf("orders first: %v %q", err, got)
	}
	if res, _, err := im.Revert(ctx, d.admin, payments); err != nil || res.Deleted != 2 {
		t.Fatalf("payments: %+v %v", res, err)
	}
	sameState(t, mid, state(t, d.db, tables...))
	if res, _, err := im.Revert(ctx, d.admin, orders); err != nil || res.Deleted != 3 {
		t.Fatalf("orders: %+v %v", res, err)
	}
	sameState(t, before, state(t, d.db, tables...))
	if f := customerFigures(t, d.db, d.acme); f != (figures{"0.00", 0, "potential", "0.00"}) {
		t.Fatalf("after the reverts %+v", f)
	}
}

// TestImportRevertContactsAndFollowUps: a removed primary contact passes
// the part to the oldest one left; removed follow-ups give their lead and
// customer back their follow-up times and the lead its status.
func TestImportRevertContactsAndFollowUps(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	cid, err := o.db.CreateCustomer(ctx, o.rep, crm.CustomerInput{Name: "甲公司"}, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.db.CreateLead(ctx, o.rep, crm.LeadInput{Name: "赵磊"}, postgres.NewOwner{}); err != nil {
		t.Fatal(err)
	}
	early := time.Date(2025, 12, 1, 9, 0, 0, 0, crm.Zone)
	if _, err := o.db.CreateFollowUp(ctx, o.rep, crm.FollowUpInput{CustomerID: cid, Content: "早先的跟进", FollowedAt: early}); err != nil {
		t.Fatal(err)
	}
	tables := []string{"customers", "leads", "contacts", "follow_ups"}
	before := state(t, o.db, tables...)
	contacts, _ := commit(t, o.db, o.boss, "contacts", book(t, []any{"客户名称", "姓名"}, []any{"甲公司", "王芳"}), xlsx.Options{})
	// A contact added by hand since does not hold the revert back; it
	// becomes the primary one.
	later, err := o.db.CreateContact(ctx, o.rep, crm.ContactInput{CustomerID: cid, Name: "后来的"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := importer(o.db).Revert(ctx, o.boss, contacts); err != nil {
		t.Fatal(err)
	}
	if n := count(t, o.db, `SELECT count(*) FROM contacts WHERE id = $1 AND is_primary`, later); n != 1 {
		t.Fatal("the contact left is not primary")
	}
	if err := o.db.DeleteContact(ctx, o.rep, later); err != nil {
		t.Fatal(err)
	}
	sameState(t, before, state(t, o.db, tables...))
	followUps, _ := commit(t, o.db, o.boss, "follow-ups", book(t, []any{"客户名称", "线索姓名", "跟进内容", "跟进时间", "下次跟进时间"},
		[]any{"", "赵磊", "电话", "2026-01-15 10:00", "2026-01-20"},
		[]any{"甲公司", "", "拜访", "2026-01-16 10:00", "2026-02-01"},
	), xlsx.Options{})
	if n := count(t, o.db, `SELECT count(*) FROM leads WHERE status = 'following' AND next_follow_up_at IS NOT NULL`); n != 1 {
		t.Fatal("the import did not move the lead")
	}
	if _, blockers, err := importer(o.db).Revert(ctx, o.boss, followUps); err != nil {
		t.Fatalf("%v %q", err, blockerTexts(blockers))
	}
	sameState(t, before, state(t, o.db, tables...))
}

// TestImportRevertWho: the importer and admins revert; another importer
// does not see the job; organisation imports cannot be reverted.
func TestImportRevertWho(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	boss2 := mustActor(t, o.db, "boss2", crm.RoleManagement, o.sales)
	id, _ := commit(t, o.db, o.boss, "products", book(t, []any{"SKU", "产品名称"}, []any{"P-1", "一"}), xlsx.Options{})
	im := importer(o.db)
	if _, _, err := im.Revert(ctx, boss2, id); crm.ErrorCode(err) != crm.ENOTFOUND {
		t.Errorf("another importer: %v", err)
	}
	if _, _, err := im.Revert(ctx, o.admin, id); err != nil {
		t.Errorf("admin: %v", err)
	}
	dept, _ := commit(t, o.db, o.admin, "departments", book(t, []any{"部门名称"}, []any{"新部门"}), xlsx.Options{})
	if _, _, err := im.Revert(ctx, o.admin, dept); crm.ErrorCode(err) != crm.ECONFLICT {
		t.Errorf("departments: %v", err)
	}
	pending, _, err := im.Preview(ctx, o.boss, xlsx.TableByName("products"), "p.xlsx", book(t, []any{"SKU", "产品名称"}, []any{"P-2", "二"}), xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := im.Revert(ctx, o.boss, pending); crm.ErrorCode(err) != crm.ECONFLICT {
		t.Errorf("a preview: %v", err)
	}
}

var _ = decimal.Zero
