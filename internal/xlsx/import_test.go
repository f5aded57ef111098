package xlsx_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/password"
	"crm/internal/postgres"
	"crm/internal/xlsx"
)

var customerHeader = []any{"客户名称*", "客户级别", "行业", "来源", "市场活动", "电话", "地址", "备注", "负责人（用户名）", "部门（公海）"}

// TestImportCustomersOwnership: owners come from the file (the record
// goes to their department), an empty owner with a department puts the
// customer into that department's pool, neither makes the importer the
// owner; the importer is the creator; history entries are marked imported
// and name the job.
func TestImportCustomersOwnership(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	im := importer(o.db)
	data := book(t, customerHeader,
		[]any{"【示例】上海某某科技有限公司", "A 重点客户", "", "", "", "", "", "", "zhangsan", ""},
		[]any{"  甲公司\u3000", "A 重点客户", "制造业", "官网", "", "021-1", "上海", "", "rep", ""},
		[]any{"乙公司", "B – regular", "", "", "", "", "", "", "", "华东组"},
		[]any{"丙公司", "", "", "", "", "", "", "", "", ""},
	)
	id, rep, err := im.Preview(ctx, o.boss, xlsx.TableByName("customers"), "c.xlsx", data, xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Total != 3 || rep.Counts.New != 3 || rep.Counts.Error != 0 || rep.Examples != 1 {
		t.Fatalf("preview counts %+v examples %d errors %v", rep.Counts, rep.Examples, messages(rep))
	}
	if n := count(t, o.db, `SELECT count(*) FROM customers`); n != 0 {
		t.Fatalf("preview wrote %d customers", n)
	}
	rep, err = im.Commit(ctx, o.boss, id, xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Committed || rep.Counts.New != 3 {
		t.Fatalf("commit %+v", rep)
	}
	type cu struct {
		owner, dept, by, level int64
	}
	got := map[string]cu{}
	rows, _ := o.db.Pool.Query(ctx, `SELECT name, coalesce(owner_id, 0), coalesce(department_id, 0), created_by, coalesce(level_id, 0) FROM customers`)
	for rows.Next() {
		var name string
		var c cu
		if err := rows.Scan(&name, &c.owner, &c.dept, &c.by, &c.level); err != nil {
			t.Fatal(err)
		}
		got[name] = c
	}
	if c := got["甲公司"]; c.owner != o.repID || c.dept != o.east || c.by != o.bossID || c.level == 0 {
		t.Errorf("甲公司 %+v: want owner rep in 华东组, created by boss, with a level", c)
	}
	if c := got["乙公司"]; c.owner != 0 || c.dept != o.east || c.level == 0 {
		t.Errorf("乙公司 %+v: want the pool of 华东组 (level by its English name)", c)
	}
	if c := got["丙公司"]; c.owner != o.bossID || c.dept != o.sales {
		t.Errorf("丙公司 %+v: want the importer", c)
	}
	if n := count(t, o.db, `SELECT count(*) FROM history WHERE resource = 'customer' AND imported AND import_job_id = $1 AND action = 'create'`, id); n != 3 {
		t.Errorf("history entries: %d, want 3", n)
	}
	if _, err := im.Commit(ctx, o.boss, id, xlsx.Options{}); crm.ErrorCode(err) != crm.ECONFLICT {
		t.Errorf("second commit: %v, want ECONFLICT", err)
	}
}

// TestImportBlockOrSkipTenThousand: one bad row among 10 000 writes
// nothing when errors block; with skip the other 9 999 are written and
// the bad one reported.
func TestImportBlockOrSkipTenThousand(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	im := importer(o.db)
	const n, bad = 10000, 7777
	data := streamBook(t, customerHeader, n, func(i int) []any {
		owner := "rep"
		if i == bad {
			owner = "nobody"
		}
		return []any{fmt.Sprintf("客户%05d", i), "A 重点客户", "", "", "", fmt.Sprintf("1380000%04d", i), "", "", owner, ""}
	})
	id, rep, err := im.Preview(ctx, o.boss, xlsx.TableByName("customers"), "big.xlsx", data, xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Total != n || rep.Counts.Error != 1 || rep.Counts.New != n-1 {
		t.Fatalf("preview %+v", rep.Counts)
	}
	want := fmt.Sprintf("第 %d 行「负责人（用户名）」：找不到用户名为「nobody」的员工。", bad+2)
	if msgs := messages(rep); len(msgs) != 1 || msgs[0] != want {
		t.Fatalf("errors %q, want %q", msgs, want)
	}
	rep, err = im.Commit(ctx, o.boss, id, xlsx.Options{OnError: "block"})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Blocked || rep.Committed {
		t.Fatalf("blocking commit: %+v", rep)
	}
	if c := count(t, o.db, `SELECT count(*) FROM customers`); c != 0 {
		t.Fatalf("a blocked import wrote %d customers", c)
	}
	if c := count(t, o.db, `SELECT count(*) FROM history`); c != 0 {
		t.Fatalf("a blocked import wrote %d history entries", c)
	}
	rep, err = im.Commit(ctx, o.boss, id, xlsx.Options{OnError: "skip"})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Committed || rep.Counts.New != n-1 || rep.Counts.Error != 1 || len(rep.Errors) != 1 {
		t.Fatalf("skipping commit: %+v", rep.Counts)
	}
	if c := count(t, o.db, `SELECT count(*) FROM customers`); c != n-1 {
		t.Fatalf("customers: %d, want %d", c, n-1)
	}
	if c := count(t, o.db, `SELECT count(*) FROM customers WHERE name = $1`, fmt.Sprintf("客户%05d", bad)); c != 0 {
		t.Fatal("the bad row was written")
	}
	if c := count(t, o.db, `SELECT count(*) FROM history WHERE imported AND import_job_id = $1`, id); c != n-1 {
		t.Fatalf("history: %d", c)
	}
	j, err := o.db.ImportJobByID(ctx, o.boss, id)
	if err != nil || j.Status != crm.ImportCommitted || j.Counts.New != n-1 || j.Counts.Error != 1 {
		t.Fatalf("job %+v %v", j, err)
	}
}

// TestImportManagementUnknownOwner: a management user importing customers
// with an owner username that does not exist gets an error naming the row
// and the column, in both languages.
func TestImportManagementUnknownOwner(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	im := importer(o.db)
	data := book(t, customerHeader,
		[]any{"甲公司", "", "", "", "", "", "", "", "rep", ""},
		[]any{"乙公司", "", "", "", "", "", "", "", "ghost", ""},
	)
	rep, err := im.Check(context.Background(), o.boss, xlsx.TableByName("customers"), data, xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].Row != 3 || rep.Errors[0].Field != "owner" {
		t.Fatalf("errors %+v", rep.Errors)
	}
	tb := xlsx.TableByName("customers")
	if got := rep.Errors[0].Message(tb, i18n.EN); got != "Row 3, “Owner (username)”: There is no employee with the username “ghost”." {
		t.Errorf("english: %q", got)
	}
}

// TestImportRelationsOnlyViewable: relations resolve among the records the
// importer may view, and a name shared by several is an error that says
// so; an inactive owner is refused.
func TestImportRelationsOnlyViewable(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	for _, name := range []string{"重名公司", "重名公司", "唯一公司"} {
		if _, err := o.db.CreateCustomer(ctx, o.rep, crm.CustomerInput{Name: name}, postgres.NewOwner{}); err != nil {
			t.Fatal(err)
		}
	}
	gone := mustActor(t, o.db, "gone", crm.RoleSalesRep, o.east)
	if err := o.db.SetEmployeeActive(ctx, gone.ID, false); err != nil {
		t.Fatal(err)
	}
	data := book(t, []any{"客户名称", "姓名", "手机"},
		[]any{"唯一公司", "王芳", "139"},
		[]any{"重名公司", "刘强", ""},
		[]any{"没有的公司", "赵磊", ""},
	)
	rep, err := importer(o.db).Check(ctx, o.boss, xlsx.TableByName("contacts"), data, xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	msgs := messages(rep)
	want := []string{
		"第 3 行「客户名称」：「重名公司」对应 2 条记录（重名），无法确定是哪一条。请先在系统中改名加以区分。",
		"第 4 行「客户名称」：找不到名为「没有的公司」的客户（或您无权查看）。",
	}
	if !slices.Equal(msgs, want) || rep.Counts.New != 1 {
		t.Fatalf("errors %q (counts %+v), want %q", msgs, rep.Counts, want)
	}
	data = book(t, customerHeader, []any{"新公司", "", "", "", "", "", "", "", "gone", ""})
	rep, err = importer(o.db).Check(ctx, o.boss, xlsx.TableByName("customers"), data, xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if msgs := messages(rep); len(msgs) != 1 || !strings.Contains(msgs[0], "已停用") {
		t.Fatalf("inactive owner: %q", msgs)
	}
}

// TestImportPermissions: admins import every table, management the
// business tables, the other roles nothing.
func TestImportPermissions(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	for _, tb := range xlsx.Tables {
		for _, c := range []struct {
			a    crm.Actor
			want bool
		}{{o.admin, true}, {o.boss, tb.Business}, {o.mgr, false}, {o.rep, false}, {o.mkt, false}} {
			if got := tb.AllowedTo(c.a); got != c.want {
				t.Errorf("%s may import %s: %v, want %v", c.a.Role, tb.Name, got, c.want)
			}
			if !c.want {
				_, err := importer(o.db).Check(context.Background(), c.a, tb, book(t, []any{"x"}), xlsx.Options{})
				if crm.ErrorCode(err) != crm.EFORBIDDEN {
					t.Errorf("%s checks %s: %v, want EFORBIDDEN", c.a.Role, tb.Name, err)
				}
			}
		}
	}
}

// TestImportEmployeesPasswords: every new employee gets a random initial
// password that must be changed at first sign-in; the sheet of passwords
// is kept for one download by the importer.
func TestImportEmployeesPasswords(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	im := importer(o.db)
	data := book(t, []any{"用户名*", "姓名*", "部门", "角色*", "手机", "邮箱"},
		[]any{"【示例】zhangsan", "张三", "华东组", "销售员", "", ""},
		[]any{"WangWu", "王五", "华东组", "销售员", "13800000001", "wangwu@example.com"},
		[]any{"zhaoliu", "赵六", "销售部", "Sales manager", "", ""},
		[]any{"rep", "改名的销售", "华东组", "sales_rep", "", ""},
		[]any{"bad name", "某人", "", "老板", "", "not-an-email"},
	)
	id, rep, err := im.Preview(ctx, o.admin, xlsx.TableByName("employees"), "e.xlsx", data, xlsx.Options{Existing: "update"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.New != 2 || rep.Counts.Update != 1 || rep.Counts.Error != 1 || len(rep.Errors) != 3 {
		t.Fatalf("preview %+v %q", rep.Counts, messages(rep))
	}
	if _, err := im.Commit(ctx, o.boss, id, xlsx.Options{}); crm.ErrorCode(err) != crm.ENOTFOUND {
		t.Errorf("another user commits the job: %v, want ENOTFOUND", err)
	}
	rep, err = im.Commit(ctx, o.admin, id, xlsx.Options{OnError: "skip", Existing: "update"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.New != 2 || rep.Counts.Update != 1 || rep.Passwords != 2 {
		t.Fatalf("commit %+v passwords %d", rep.Counts, rep.Passwords)
	}
	if n := count(t, o.db, `SELECT count(*) FROM employees WHERE username IN ('wangwu', 'zhaoliu') AND must_change_password AND active`); n != 2 {
		t.Fatalf("new employees with must-change: %d", n)
	}
	if n := count(t, o.db, `SELECT count(*) FROM employees WHERE username = 'rep' AND name = '改名的销售' AND NOT must_change_password`); n != 1 {
		t.Fatal("the existing employee was not updated, or lost their password")
	}
	if _, err := o.db.TakeImportPasswords(ctx, o.boss, id); crm.ErrorCode(err) != crm.ENOTFOUND {
		t.Errorf("someone else takes the passwords: %v", err)
	}
	sheet, err := o.db.TakeImportPasswords(ctx, o.admin, id)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(sheet))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("Sheet1")
	if len(rows) != 3 {
		t.Fatalf("password sheet rows %q", rows)
	}
	for _, r := range rows[1:] {
		creds, err := o.db.CredentialsByUsername(ctx, r[0])
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := password.Verify(r[2], creds.PasswordHash); !ok || len(r[2]) != 12 {
			t.Errorf("%s: the sheet's password does not sign in", r[0])
		}
	}
	if _, err := o.db.TakeImportPasswords(ctx, o.admin, id); crm.ErrorCode(err) != crm.ECONFLICT {
		t.Errorf("second download: %v, want ECONFLICT", err)
	}
}

// TestImportDepartmentsTree: parents may be rows of the same file, in any
// order; a loop within the file is an error on its rows.
func TestImportDepartmentsTree(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	im := importer(o.db)
	data := book(t, []any{"部门名称*", "上级部门", "负责人（用户名）"},
		[]any{"上海组", "华东大区", "rep"},
		[]any{"华东大区", "销售部", ""},
		[]any{"环甲", "环乙", ""},
		[]any{"环乙", "环甲", ""},
		[]any{"孤儿", "不存在", ""},
	)
	id, rep, err := im.Preview(ctx, o.admin, xlsx.TableByName("departments"), "d.xlsx", data, xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.New != 2 || rep.Counts.Error != 3 {
		t.Fatalf("preview %+v %q", rep.Counts, messages(rep))
	}
	if _, err := im.Commit(ctx, o.admin, id, xlsx.Options{OnError: "skip"}); err != nil {
		t.Fatal(err)
	}
	var parent string
	var head int64
	if err := o.db.Pool.QueryRow(ctx, `SELECT p.name, coalesce(d.head_id, 0) FROM departments d JOIN departments p ON p.id = d.parent_id WHERE d.name = '上海组'`).Scan(&parent, &head); err != nil {
		t.Fatal(err)
	}
	if parent != "华东大区" || head != o.repID {
		t.Fatalf("上海组: parent %q head %d", parent, head)
	}
	// Moving an existing department below its own child is refused as a whole.
	data = book(t, []any{"部门名称", "上级部门"}, []any{"销售部", "华东组"})
	id, _, err = im.Preview(ctx, o.admin, xlsx.TableByName("departments"), "loop.xlsx", data, xlsx.Options{Existing: "update"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := im.Commit(ctx, o.admin, id, xlsx.Options{Existing: "update"}); crm.ErrorCode(err) != crm.EINVALID {
		t.Fatalf("loop through the database: %v", err)
	}
	if n := count(t, o.db, `SELECT count(*) FROM departments WHERE name = '销售部' AND parent_id IS NULL`); n != 1 {
		t.Fatal("the refused loop was written")
	}
}

// TestImportUpdateHistory: existing keys are skipped or updated as asked;
// an update writes one history entry with the changed fields (options by
// name); identical rows change nothing.
func TestImportUpdateHistory(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	im := importer(o.db)
	cid, err := o.db.CreateCustomer(ctx, o.rep, crm.CustomerInput{Name: "老客户", Phone: "1"}, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.db.CreateCustomer(ctx, o.rep, crm.CustomerInput{Name: "不变客户", Phone: "2"}, postgres.NewOwner{}); err != nil {
		t.Fatal(err)
	}
	data := book(t, []any{"客户名称", "客户级别", "电话"},
		[]any{"老客户", "A 重点客户", "021-99"},
		[]any{"不变客户", "", "2"},
	)
	id, rep, err := im.Preview(ctx, o.boss, xlsx.TableByName("customers"), "u.xlsx", data, xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Skip != 2 || rep.Counts.New != 0 {
		t.Fatalf("skip preview %+v", rep.Counts)
	}
	rep, err = im.Commit(ctx, o.boss, id, xlsx.Options{Existing: "update"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Update != 1 || rep.Counts.Unchanged != 1 || rep.Counts.Skip != 1 {
		t.Fatalf("update commit %+v", rep.Counts)
	}
	hist, err := o.db.History(ctx, crm.ResCustomer, cid)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || !hist[0].Imported || hist[0].Action != "update" || hist[0].ActorID != o.bossID {
		t.Fatalf("history %+v", hist)
	}
	want := []crm.Change{{Field: "level", Old: "", New: "A 重点客户"}, {Field: "phone", Old: "1", New: "021-99"}}
	if !slices.Equal(hist[0].Changes, want) {
		t.Fatalf("changes %+v, want %+v", hist[0].Changes, want)
	}
	var owner int64
	if err := o.db.Pool.QueryRow(ctx, `SELECT owner_id FROM customers WHERE id = $1`, cid).Scan(&owner); err != nil || owner != o.repID {
		t.Fatalf("an update moved the owner: %d %v", owner, err)
	}
}

// TestImportContactsAndFollowUps: contacts belong to the customer's owner
// and the first becomes primary; follow-ups move their parent's times,
// a new lead becomes 跟进中, the author owns the follow-up.
func TestImportContactsAndFollowUps(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	im := importer(o.db)
	cid, err := o.db.CreateCustomer(ctx, o.rep, crm.CustomerInput{Name: "甲公司"}, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	lid, err := o.db.CreateLead(ctx, o.rep, crm.LeadInput{Name: "赵磊"}, postgres.NewOwner{})
	if err != nil {
		t.Fatal(err)
	}
	commit := func(table string, data []byte) *xlsx.Report {
		t.Helper()
		id, rep, err := im.Preview(ctx, o.boss, xlsx.TableByName(table), table+".xlsx", data, xlsx.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Counts.Error > 0 {
			t.Fatalf("%s: %q", table, messages(rep))
		}
		if rep, err = im.Commit(ctx, o.boss, id, xlsx.Options{}); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	commit("contacts", book(t, []any{"客户名称", "姓名", "手机"}, []any{"甲公司", "王芳", "139"}, []any{"甲公司", "刘强", ""}))
	if n := count(t, o.db, `SELECT count(*) FROM contacts WHERE customer_id = $1 AND owner_id = $2 AND customer_owner_id = $2 AND created_by = $3`, cid, o.repID, o.bossID); n != 2 {
		t.Fatalf("contacts owned by the customer's owner: %d", n)
	}
	if n := count(t, o.db, `SELECT count(*) FROM contacts WHERE customer_id = $1 AND is_primary AND name = '王芳'`, cid); n != 1 {
		t.Fatal("the first contact is not primary")
	}
	commit("follow-ups", book(t, []any{"客户名称", "线索姓名", "跟进方式", "跟进内容", "跟进时间", "下次跟进时间", "跟进人（用户名）"},
		[]any{"", "赵磊", "电话", "初次电话", "2026/1/15 10:00", "2026年1月20日", "rep"},
		[]any{"甲公司", "", "微信", "发资料", 46037.5, "", ""},
	))
	var status string
	var last, next string
	if err := o.db.Pool.QueryRow(ctx, `SELECT status, to_char(last_follow_up_at, 'YYYY-MM-DD HH24:MI'), to_char(next_follow_up_at, 'YYYY-MM-DD') FROM leads WHERE id = $1`, lid).Scan(&status, &last, &next); err != nil {
		t.Fatal(err)
	}
	if status != "following" || last != "2026-01-15 10:00" || next != "2026-01-20" {
		t.Fatalf("lead after the follow-up: %s %s %s", status, last, next)
	}
	if err := o.db.Pool.QueryRow(ctx, `SELECT to_char(last_follow_up_at, 'YYYY-MM-DD HH24:MI') FROM customers WHERE id = $1`, cid).Scan(&last); err != nil || last != "2026-01-15 12:00" {
		t.Fatalf("customer's last follow-up from an Excel serial: %s %v", last, err)
	}
	if n := count(t, o.db, `SELECT count(*) FROM follow_ups WHERE lead_id = $1 AND owner_id = $2 AND created_by = $3 AND customer_owner_id = $2`, lid, o.repID, o.bossID); n != 1 {
		t.Fatal("the follow-up's author is not its owner")
	}
}

// TestImportProductsCampaignsOpportunities: the remaining business tables
// go in with their kinds (money, yes/no, dates, stages).
func TestImportProductsCampaignsOpportunities(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	im := importer(o.db)
	run := func(table string, data []byte, wantErrs int) *xlsx.Report {
		t.Helper()
		id, rep, err := im.Preview(ctx, o.boss, xlsx.TableByName(table), table+".xlsx", data, xlsx.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Counts.Error != wantErrs {
			t.Fatalf("%s: %d errors %q", table, rep.Counts.Error, messages(rep))
		}
		if rep, err = im.Commit(ctx, o.boss, id, xlsx.Options{OnError: "skip"}); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	run("products", book(t, []any{"SKU", "产品名称", "标准价格", "启用"},
		[]any{"P-1", "软件", "12,800.50", "是"}, []any{"P-2", "服务", 0.1 + 0.2, "否"}, []any{"P-3", "坏价格", "-5", ""}), 1)
	if n := count(t, o.db, `SELECT count(*) FROM products WHERE (sku = 'P-1' AND list_price = 12800.50 AND active) OR (sku = 'P-2' AND list_price = 0.30 AND NOT active)`); n != 2 {
		t.Fatal("products")
	}
	run("campaigns", book(t, []any{"活动名称", "活动类型", "状态", "开始日期", "结束日期", "预算"},
		[]any{"春季展会", "展会", "进行中", "2026-03-01", "2026/3/3", "50000"},
		[]any{"倒序", "", "", "2026-03-05", "2026-03-01", ""}), 1)
	if n := count(t, o.db, `SELECT count(*) FROM campaigns WHERE name = '春季展会' AND status = 'active' AND start_date = '2026-03-01' AND end_date = '2026-03-03' AND owner_id = $1`, o.bossID); n != 1 {
		t.Fatal("campaign")
	}
	run("leads", book(t, []any{"姓名", "市场活动", "线索状态", "部门（公海）"}, []any{"钱七", "春季展会", "", "华东组"}), 0)
	if n := count(t, o.db, `SELECT lead_count FROM campaigns WHERE name = '春季展会'`); n != 1 {
		t.Fatalf("campaign's lead count: %d (the trigger did not run)", n)
	}
	if _, err := o.db.CreateCustomer(ctx, o.rep, crm.CustomerInput{Name: "甲公司"}, postgres.NewOwner{}); err != nil {
		t.Fatal(err)
	}
	run("opportunities", book(t, []any{"客户名称", "机会名称", "销售阶段", "预计金额", "预计成交日期"},
		[]any{"甲公司", "大单", "Proposal", "128000", "2026-06-30"}), 0)
	if n := count(t, o.db, `SELECT count(*) FROM opportunities WHERE name = '大单' AND stage = 'proposal' AND customer_owner_id = $1 AND owner_id = $2`, o.repID, o.bossID); n != 1 {
		t.Fatal("opportunity")
	}
}

// TestImportDuplicatesInFile: the same key twice in a file is an error on
// the second row that names the first.
func TestImportDuplicatesInFile(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	data := book(t, []any{"SKU", "产品名称"}, []any{"A", "一"}, []any{"B", "二"}, []any{" A ", "三"})
	rep, err := importer(o.db).Check(context.Background(), o.boss, xlsx.TableByName("products"), data, xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if msgs := messages(rep); len(msgs) != 1 || msgs[0] != "第 4 行「SKU」：与第 2 行重复。" {
		t.Fatalf("%q", msgs)
	}
}

var _ = errors.Is
