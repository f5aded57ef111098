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
	"crm/internal/xlsx"
)

// TestTemplateEveryTable: each table's template, in both languages, has
// its header in row 1 with the required columns marked, drop-downs with
// today's values on option, choice, role and yes/no columns, a 说明 sheet
// describing every column — and, uploaded untouched, reads back as a file
// of examples only (so every header is recognised and both examples are).
func TestTemplateEveryTable(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	if _, err := o.db.AddOption(ctx, crm.OptSource, "抖音", "Douyin", false); err != nil {
		t.Fatal(err)
	}
	opts, err := o.db.AllOptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range i18n.Locales {
		for _, tb := range xlsx.Tables {
			var buf bytes.Buffer
			if err := xlsx.WriteTemplate(&buf, tb, opts, l); err != nil {
				t.Fatalf("%s %s: %v", tb.Name, l, err)
			}
			f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			sheets := f.GetSheetList()
			if len(sheets) != 3 || sheets[0] != i18n.T(l, tb.Label) || sheets[1] != i18n.T(l, "import.help.sheet") {
				t.Errorf("%s %s: sheets %q", tb.Name, l, sheets)
			}
			rows, _ := f.GetRows(sheets[0])
			if len(rows) != 3 || len(rows[0]) != len(tb.Columns) {
				t.Fatalf("%s %s: rows %q", tb.Name, l, rows)
			}
			dvs, _ := f.GetDataValidations(sheets[0])
			lists := 0
			for i, c := range tb.Columns {
				want := xlsx.HeaderLabel(&c, l)
				if c.Required {
					want += "*"
				}
				if rows[0][i] != want {
					t.Errorf("%s %s: header %d %q, want %q", tb.Name, l, i, rows[0][i], want)
				}
				if c.Kind == xlsx.KindOption || c.Kind == xlsx.KindChoice || c.Kind == xlsx.KindRole || c.Kind == xlsx.KindBool {
					lists++
				}
			}
			if len(dvs) != lists {
				t.Errorf("%s %s: %d drop-downs, want %d", tb.Name, l, len(dvs), lists)
			}
			help, _ := f.GetRows(sheets[1])
			var described []string
			for _, r := range help {
				if len(r) > 2 {
					described = append(described, r[0])
				}
			}
			for _, c := range tb.Columns {
				if !slices.Contains(described, xlsx.HeaderLabel(&c, l)) {
					t.Errorf("%s %s: 说明 does not describe %s", tb.Name, l, c.Field)
				}
			}
			f.Close()
			_, err = importer(o.db).Check(ctx, o.admin, tb, buf.Bytes(), xlsx.Options{})
			var fe *xlsx.FileError
			if !errors.As(err, &fe) || fe.Key != "import.file.no_rows" {
				t.Errorf("%s %s: the untouched template reads as %v, want no data rows", tb.Name, l, err)
			}
		}
	}
	// The source drop-down offers the value added today.
	var buf bytes.Buffer
	if err := xlsx.WriteTemplate(&buf, xlsx.TableByName("leads"), opts, i18n.ZH); err != nil {
		t.Fatal(err)
	}
	f, _ := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	values, _ := f.GetCols("lists")
	found := false
	for _, col := range values {
		found = found || slices.Contains(col, "抖音")
	}
	if !found {
		t.Error("the template's lists lack the option added today")
	}
}

// TestTemplateRoundTrip: download the customers template, fill it in with
// excelize below the examples (left in place), upload, preview, commit.
func TestTemplateRoundTrip(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	opts, err := o.db.AllOptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tb := xlsx.TableByName("customers")
	var buf bytes.Buffer
	if err := xlsx.WriteTemplate(&buf, tb, opts, i18n.ZH); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	sh := f.GetSheetList()[0]
	// Columns: 客户名称 客户级别 行业 来源 市场活动 电话 地址 备注 负责人 部门（公海）
	for i, r := range [][]any{
		{"东方电气", "A 重点客户", "制造业", "官网", "", "021-1234", "上海", "老客户", "rep", ""},
		{"西部物流", "C 一般客户", "", "转介绍", "", "", "", "", "", "华东组"},
		{"南方零售", "", "零售", "", "", "", "", "", "", ""},
	} {
		if err := f.SetSheetRow(sh, fmt.Sprintf("A%d", i+4), &r); err != nil {
			t.Fatal(err)
		}
	}
	var filled bytes.Buffer
	if err := f.Write(&filled); err != nil {
		t.Fatal(err)
	}
	im := importer(o.db)
	id, rep, err := im.Preview(ctx, o.boss, tb, "客户导入模板.xlsx", filled.Bytes(), xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Examples != 2 || rep.Counts.Total != 3 || rep.Counts.New != 3 || rep.Counts.Error != 0 {
		t.Fatalf("preview %+v examples %d %q", rep.Counts, rep.Examples, messages(rep))
	}
	if len(rep.Preview) != 3 || rep.Preview[0].Row != 4 || rep.Preview[0].Cells[0] != "东方电气" {
		t.Fatalf("preview rows %+v", rep.Preview)
	}
	if rep, err = im.Commit(ctx, o.boss, id, xlsx.Options{}); err != nil || rep.Counts.New != 3 {
		t.Fatalf("commit %v %+v", err, rep)
	}
	if n := count(t, o.db, `SELECT count(*) FROM customers c JOIN options lv ON lv.id = c.level_id WHERE c.name = '东方电气' AND lv.name = 'A 重点客户' AND c.owner_id = $1`, o.repID); n != 1 {
		t.Fatal("东方电气 was not imported as filled in")
	}
	if n := count(t, o.db, `SELECT count(*) FROM customers WHERE name LIKE '%某某%'`); n != 0 {
		t.Fatal("an example row was imported")
	}
	if !strings.HasPrefix(rep.Table, "customers") {
		t.Fatal(rep.Table)
	}
}

// TestImportErrorReport: the error report is the uploaded sheet with an
// 错误原因 column: each row keeps its number, bad rows say what is wrong.
func TestImportErrorReport(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	data := book(t, []any{"活动名称", "状态", "开始日期", "预算"},
		[]any{"好活动", "计划中", 46037, "100"},
		[]any{},
		[]any{"坏活动", "不知道", "明天", "-1"},
	)
	im := importer(o.db)
	id, _, err := im.Preview(ctx, o.boss, xlsx.TableByName("campaigns"), "活动.xlsx", data, xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := im.WriteErrorReport(ctx, &buf, o.boss, id, i18n.ZH); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows(f.GetSheetList()[0])
	if len(rows) != 4 || rows[0][4] != "错误原因" {
		t.Fatalf("report rows %q", rows)
	}
	if rows[1][2] != "2026-01-15" || len(rows[1]) > 4 {
		t.Errorf("good row %q: the date should read as a day and no reason be given", rows[1])
	}
	reason := rows[3][4]
	for _, want := range []string{"「状态」「不知道」不是允许的值", "「开始日期」「明天」不是日期", "「预算」金额不能为负数"} {
		if !strings.Contains(reason, want) {
			t.Errorf("reason %q lacks %q", reason, want)
		}
	}
	// The user fixes the report and uploads it as it is: the 错误原因
	// column is left aside, and a report of it has one such column.
	sh := f.GetSheetList()[0]
	_ = f.SetSheetRow(sh, "A4", &[]any{"坏活动", "进行中", "2026-02-01", "10"})
	fixed := write(t, f)
	rep, err := im.Check(ctx, o.boss, xlsx.TableByName("campaigns"), fixed, xlsx.Options{})
	if err != nil || rep.Counts.Error != 0 || rep.Counts.New != 2 {
		t.Fatalf("the fixed report: %v %+v %q", err, rep, messages(rep))
	}
	if err := im.WriteErrorReport(ctx, &buf, o.admin, id, i18n.ZH); err != nil {
		t.Errorf("an admin views every job: %v", err)
	}
	other := mustActor(t, o.db, "boss2", crm.RoleManagement, 0)
	if err := im.WriteErrorReport(ctx, &buf, other, id, i18n.ZH); crm.ErrorCode(err) != crm.ENOTFOUND {
		t.Errorf("another management user: %v, want ENOTFOUND", err)
	}
}
