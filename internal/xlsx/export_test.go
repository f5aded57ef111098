package xlsx_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/postgres"
	"crm/internal/xlsx"
)

// export builds the export of list e for q in l and returns the file.
func export(t *testing.T, db *postgres.DB, name string, q postgres.ExportQuery, l i18n.Locale) []byte {
	t.Helper()
	e := xlsx.ExportByName(name)
	if e == nil {
		t.Fatalf("no export %s", name)
	}
	file, err := (&xlsx.Exporter{DB: db}).Build(context.Background(), e, q, l)
	if err != nil {
		t.Fatalf("export %s: %v", name, err)
	}
	defer file.Close()
	var buf bytes.Buffer
	n, err := file.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Errorf("WriteTo says %d bytes, wrote %d", n, buf.Len())
	}
	return buf.Bytes()
}

// sheetRows reads the first sheet of an xlsx (raw values).
func sheetRows(t *testing.T, data []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the export does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0], excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// snapshot is every row of table as JSON, by id: what an import that
// changes nothing leaves exactly as it was (updated_at included).
func snapshot(t *testing.T, db *postgres.DB, table string) []string {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), `SELECT row_to_json(x)::text FROM `+table+` x ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// option returns the id of the option of kind called name.
func option(t *testing.T, db *postgres.DB, kind crm.OptionKind, i int) int64 {
	t.Helper()
	list, err := db.Options(context.Background(), kind)
	if err != nil || len(list) <= i {
		t.Fatalf("options %s: %v (%d)", kind, err, len(list))
	}
	return list[i].ID
}

// roundTrip imports data into table as a with existing rows updated and
// checks that nothing changed: no error, nothing new, nothing updated,
// every row of the table and the history as they were.
func roundTrip(t *testing.T, o *org, a crm.Actor, table string, data []byte, rows int) {
	t.Helper()
	ctx := context.Background()
	before := snapshot(t, o.db, table)
	history := count(t, o.db, `SELECT count(*) FROM history`)
	im := importer(o.db)
	opts := xlsx.Options{OnError: "block", Existing: "update"}
	id, rep, err := im.Preview(ctx, a, xlsx.TableByName(table), "export.xlsx", data, opts)
	if err != nil {
		t.Fatalf("preview of the export: %v", err)
	}
	if rep.Counts.Total != rows || rep.Counts.Error != 0 || rep.Counts.New != 0 || rep.Counts.Update != rows {
		t.Fatalf("preview of the export: %+v, want %d rows all matching existing ones; errors %v", rep.Counts, rows, messages(rep))
	}
	rep, err = im.Commit(ctx, a, id, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Committed || rep.Counts.New != 0 || rep.Counts.Update != 0 || rep.Counts.Unchanged != rows {
		t.Fatalf("commit of the export: %+v, want every row unchanged", rep.Counts)
	}
	if after := snapshot(t, o.db, table); !slices.Equal(before, after) {
		for i := range min(len(before), len(after)) {
			if before[i] != after[i] {
				t.Errorf("row changed:\n before %s\n after  %s", before[i], after[i])
			}
		}
		t.Fatalf("the round trip changed %s", table)
	}
	if n := count(t, o.db, `SELECT count(*) FROM history`); n != history {
		t.Errorf("history grew from %d to %d", history, n)
	}
}

// TestExportRoundTripCustomers: customers exported (every kind of value:
// options, campaign, owner, pool, formula-like text, several lines) and
// imported again with "update" change nothing — in either language.
func TestExportRoundTripCustomers(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	camp, err := o.db.CreateCampaign(ctx, o.boss, crm.CampaignInput{Name: "春季展会", Status: crm.CampaignActive})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(a crm.Actor, in crm.CustomerInput, who postgres.NewOwner) {
		t.Helper()
		if _, err := o.db.CreateCustomer(ctx, a, in, who); err != nil {
			t.Fatalf("customer %s: %v", in.Name, err)
		}
	}
	mk(o.boss, crm.CustomerInput{Name: "甲公司", LevelID: option(t, o.db, crm.OptCustomerLevel, 0),
		IndustryID: option(t, o.db, crm.OptIndustry, 1), SourceID: option(t, o.db, crm.OptSource, 2), CampaignID: camp,
		Phone: "+86 21 6000 0001", Address: "-", Notes: "=SUM(A1:A9)\n第二行"}, postgres.NewOwner{OwnerID: o.repID})
	mk(o.boss, crm.CustomerInput{Name: "乙公司", Phone: "021-1", Notes: "@提醒"}, postgres.NewOwner{Pool: true, PoolDepartmentID: o.east})
	mk(o.boss, crm.CustomerInput{Name: "丙公司"}, postgres.NewOwner{})
	mk(o.mgr, crm.CustomerInput{Name: "丁公司 Ltd.", LevelID: option(t, o.db, crm.OptCustomerLevel, 1)}, postgres.NewOwner{})

	q := postgres.CustomerExport(o.boss, crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}}})
	for _, l := range []i18n.Locale{i18n.ZH, i18n.EN} {
		t.Run(string(l), func(t *testing.T) {
			data := export(t, o.db, "customers", q, l)
			rows := sheetRows(t, data)
			if len(rows) != 5 {
				t.Fatalf("%d rows, want the header and 4", len(rows))
			}
			want := xlsx.HeaderLabel(&xlsx.TableByName("customers").Columns[0], l) + "*"
			if rows[0][0] != want {
				t.Errorf("header %q, want the template's %q", rows[0][0], want)
			}
			roundTrip(t, o, o.boss, "customers", data, 4)
		})
	}
}

// TestExportRoundTripLeads: leads with a campaign, a source, a next
// follow-up time, an owner, one in a pool and one converted export and
// import again with "update" without changing anything.
func TestExportRoundTripLeads(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	camp, err := o.db.CreateCampaign(ctx, o.boss, crm.CampaignInput{Name: "线上研讨会", Status: crm.CampaignActive})
	if err != nil {
		t.Fatal(err)
	}
	next := time.Date(2026, 2, 1, 10, 30, 0, 0, crm.Zone)
	mk := func(a crm.Actor, in crm.LeadInput, who postgres.NewOwner) int64 {
		t.Helper()
		if in.Status == "" {
			in.Status = crm.LeadNew
		}
		id, err := o.db.CreateLead(ctx, a, in, who)
		if err != nil {
			t.Fatalf("lead %s: %v", in.Name, err)
		}
		return id
	}
	mk(o.boss, crm.LeadInput{Name: "王芳", Company: "上海某某科技", Title: "采购经理", Phone: "+86 139 0000 0001",
		Email: "wang@example.com", SourceID: option(t, o.db, crm.OptSource, 0), CampaignID: camp,
		Status: crm.LeadFollowing, NextFollowUpAt: &next, Notes: "-已电话沟通"}, postgres.NewOwner{OwnerID: o.repID})
	mk(o.boss, crm.LeadInput{Name: "赵磊", Phone: "13900000002", Status: crm.LeadInvalid}, postgres.NewOwner{Pool: true, PoolDepartmentID: o.sales})
	conv := mk(o.rep, crm.LeadInput{Name: "李雷", Company: "李雷贸易", Phone: "13900000003"}, postgres.NewOwner{})
	if _, err := o.db.ConvertLead(ctx, o.rep, conv); err != nil {
		t.Fatal(err)
	}
	mk(o.mkt, crm.LeadInput{Name: "韩梅梅", Phone: ""}, postgres.NewOwner{})

	data := export(t, o.db, "leads", postgres.LeadExport(o.boss, crm.LeadFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}}}), i18n.ZH)
	rows := sheetRows(t, data)
	if len(rows) != 5 {
		t.Fatalf("%d rows, want the header and 4", len(rows))
	}
	var wang []string
	for _, r := range rows {
		if r[0] == "王芳" {
			wang = r
		}
	}
	// 姓名 公司 职位 手机 邮箱 来源 市场活动 线索状态 下次跟进时间 备注 负责人 部门
	if wang == nil || wang[6] != "线上研讨会" || wang[7] != "跟进中" || wang[8] != "2026-02-01 10:30" || wang[10] != "rep" {
		t.Errorf("王芳's row %q", wang)
	}
	roundTrip(t, o, o.boss, "leads", data, 4)
}

// TestExportFormulaEscaping: text a spreadsheet could take for a formula
// (=, +, -, @, tab, CR first) is written as a text-formatted cell holding
// exactly the text, never as a formula.
func TestExportFormulaEscaping(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	names := []string{"=HYPERLINK(\"http://evil\",\"x\")", "+1+2", "-3+4", "@SUM(A1)", "\t=1+1", "\r=1+1", "普通公司"}
	for i, n := range names {
		id, err := o.db.CreateCustomer(ctx, o.boss, crm.CustomerInput{Name: "c" + string(rune('a'+i))}, postgres.NewOwner{})
		if err != nil {
			t.Fatal(err)
		}
		// Straight into the database: the forms trim a leading tab.
		if _, err := o.db.Pool.Exec(ctx, `UPDATE customers SET name = $2, notes = $2 WHERE id = $1`, id, n); err != nil {
			t.Fatal(err)
		}
	}
	data := export(t, o.db, "customers", postgres.CustomerExport(o.boss, crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}}}), i18n.ZH)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sh := f.GetSheetList()[0]
	notesCol := 8 // 客户名称 … 备注 is the 8th column
	seen := map[string]bool{}
	for r := 2; r <= len(names)+1; r++ {
		for _, c := range []int{1, notesCol} {
			ref, _ := excelize.CoordinatesToCellName(c, r)
			if fx, _ := f.GetCellFormula(sh, ref); fx != "" {
				t.Errorf("%s is a formula: %q", ref, fx)
			}
			v, err := f.GetCellValue(sh, ref, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			seen[v] = true
			if v == "" || !strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				continue
			}
			typ, _ := f.GetCellType(sh, ref)
			if typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
				t.Errorf("%s %q: cell type %v, want a string", ref, v, typ)
			}
			sid, _ := f.GetCellStyle(sh, ref)
			st, err := f.GetStyle(sid)
			if err != nil {
				t.Fatal(err)
			}
			if st.NumFmt != 49 && (st.CustomNumFmt == nil || *st.CustomNumFmt != "@") {
				t.Errorf("%s %q: not text-formatted (numFmt %d)", ref, v, st.NumFmt)
			}
		}
	}
	for _, n := range names {
		if !seen[n] {
			t.Errorf("%q is not in the export as it is (read %v)", n, seen)
		}
	}
}

// TestExportScope: an export holds exactly what the user's list holds —
// a rep's holds their own customers and their department's pool, nobody
// else's; each tab narrows it like the list.
func TestExportScope(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	mk := func(a crm.Actor, name string, who postgres.NewOwner) {
		t.Helper()
		if _, err := o.db.CreateCustomer(ctx, a, crm.CustomerInput{Name: name}, who); err != nil {
			t.Fatal(err)
		}
	}
	mk(o.rep, "rep的客户", postgres.NewOwner{})
	mk(o.boss, "boss给rep的客户", postgres.NewOwner{OwnerID: o.repID})
	mk(o.boss, "华东公海客户", postgres.NewOwner{Pool: true, PoolDepartmentID: o.east})
	mk(o.boss, "销售部公海客户", postgres.NewOwner{Pool: true, PoolDepartmentID: o.sales})
	mk(o.boss, "boss的客户", postgres.NewOwner{})
	mk(o.mgr, "经理的客户", postgres.NewOwner{})

	names := func(a crm.Actor, tab crm.ListTab) []string {
		rows := sheetRows(t, export(t, o.db, "customers", postgres.CustomerExport(a, crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: tab}}}), i18n.ZH))
		var out []string
		for _, r := range rows[1:] {
			out = append(out, r[0])
		}
		slices.Sort(out)
		return out
	}
	list := func(a crm.Actor, tab crm.ListTab) []string {
		got, _, err := o.db.FindCustomers(ctx, a, crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: tab, Page: crm.Page{PerPage: 100}}}})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range got {
			out = append(out, c.Name)
		}
		slices.Sort(out)
		return out
	}
	want := []string{"boss给rep的客户", "rep的客户", "华东公海客户"}
	if got := names(o.rep, crm.TabAll); !slices.Equal(got, want) {
		t.Errorf("rep's export %v, want %v", got, want)
	}
	for _, a := range []crm.Actor{o.rep, o.mgr, o.boss, o.mkt, o.admin} {
		for _, tab := range crm.ListTabs(a, crm.ResCustomer) {
			if got, want := names(a, tab), list(a, tab); !slices.Equal(got, want) {
				t.Errorf("%s %s: export %v, list %v", a.Role, tab, got, want)
			}
		}
	}
}

// TestExportTooMany: more rows than the export may hold is refused with a
// message naming the limit.
func TestExportTooMany(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	for _, n := range []string{"一", "二", "三"} {
		if _, err := o.db.CreateCustomer(ctx, o.boss, crm.CustomerInput{Name: n}, postgres.NewOwner{}); err != nil {
			t.Fatal(err)
		}
	}
	q := postgres.CustomerExport(o.boss, crm.CustomerFilter{AcquisitionFilter: crm.AcquisitionFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}}})
	ex := &xlsx.Exporter{DB: o.db, MaxRows: 2}
	_, err := ex.Build(ctx, xlsx.ExportByName("customers"), q, i18n.ZH)
	var e *crm.Error
	if crm.ErrorCode(err) != crm.EINVALID || !errors.As(err, &e) || e.Message != "export.too_many" {
		t.Fatalf("err %v, want EINVALID export.too_many", err)
	}
	if msg := i18n.T(i18n.ZH, e.Message, e.Args...); !strings.Contains(msg, "2") {
		t.Errorf("message %q does not name the limit", msg)
	}
	ex.MaxRows = 3
	file, err := ex.Build(ctx, xlsx.ExportByName("customers"), q, i18n.ZH)
	if err != nil {
		t.Fatalf("exactly the limit: %v", err)
	}
	defer file.Close()
	if file.Rows != 3 {
		t.Errorf("%d rows, want 3", file.Rows)
	}
}

// TestExportColumnsProvided: every export's columns — the import
// template's where the list has one — are among the values its query
// carries, and option columns, money and dates have the values they need.
func TestExportColumnsProvided(t *testing.T) {
	t.Parallel()
	var a crm.Actor
	queries := map[string]postgres.ExportQuery{
		"campaigns":     postgres.CampaignExport(a, crm.CampaignFilter{}),
		"leads":         postgres.LeadExport(a, crm.LeadFilter{}),
		"customers":     postgres.CustomerExport(a, crm.CustomerFilter{}),
		"contacts":      postgres.ContactExport(a, crm.ContactFilter{}),
		"follow-ups":    postgres.FollowUpExport(a, crm.FollowUpFilter{}),
		"opportunities": postgres.OpportunityExport(a, crm.OpportunityFilter{}),
		"products":      postgres.ProductExport(crm.ProductFilter{}),
		"quotes":        postgres.QuoteExport(a, crm.QuoteFilter{}),
		"orders":        postgres.OrderExport(a, crm.OrderFilter{}),
		"payments":      postgres.PaymentExport(a, postgres.PaymentFilter{}),
		"invoices":      postgres.InvoiceExport(a, postgres.InvoiceFilter{}),
		"employees":     postgres.EmployeeExport(postgres.EmployeeFilter{}),
	}
	if len(queries) != len(xlsx.ExportNames) {
		t.Fatalf("%d queries for %d exports", len(queries), len(xlsx.ExportNames))
	}
	for _, name := range xlsx.ExportNames {
		e := xlsx.ExportByName(name)
		q, ok := queries[name]
		if e == nil || !ok {
			t.Fatalf("%s: no export", name)
		}
		if tb := xlsx.TableByName(name); tb != nil && e.Table != tb {
			t.Errorf("%s: the export does not use the import's columns", name)
		}
		for _, c := range e.Cols() {
			if !q.Has(c.Field) {
				t.Errorf("%s: column %s (%s) has no value in the export's query", name, c.Field, c.Label)
			}
			if !i18n.Has(c.Label) {
				t.Errorf("%s: column %s has no label %s", name, c.Field, c.Label)
			}
		}
	}
}

// TestExportValues: dates, moments, amounts, yes/no and fixed values come
// out as the import reads them, in the user's language.
func TestExportValues(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, crm.Zone)
	_, err := o.db.CreateCampaign(ctx, o.boss, crm.CampaignInput{Name: "展会", Status: crm.CampaignFinished,
		TypeID: option(t, o.db, crm.OptCampaignType, 0), StartDate: &start, EndDate: &start,
		Budget: decimal.RequireFromString("123456789012.34"), ActualCost: decimal.RequireFromString("0.1"), OwnerID: o.repID})
	if err != nil {
		t.Fatal(err)
	}
	types, _ := o.db.Options(ctx, crm.OptCampaignType)
	for _, c := range []struct {
		l    i18n.Locale
		want []string
	}{
		{i18n.ZH, []string{"展会", types[0].Name, "已结束", "2026-03-01", "2026-03-01", "123456789012.34", "0.1", "", "rep"}},
		{i18n.EN, []string{"展会", types[0].Label(true), "Finished", "2026-03-01", "2026-03-01", "123456789012.34", "0.1", "", "rep"}},
	} {
		rows := sheetRows(t, export(t, o.db, "campaigns", postgres.CampaignExport(o.boss, crm.CampaignFilter{ListQuery: crm.ListQuery{Tab: crm.TabAll}}), c.l))
		if len(rows) != 2 {
			t.Fatalf("%s: %d rows", c.l, len(rows))
		}
		got := append(rows[1], make([]string, len(c.want))...)[:len(c.want)]
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: row %q, want %q", c.l, got, c.want)
		}
	}
}
