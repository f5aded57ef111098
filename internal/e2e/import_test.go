package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"crm/internal/crm"
	"crm/internal/password"
	"crm/internal/server"
	"crm/internal/testdb"
)

// fetchFile downloads url in the page (with its session, as a click on
// the link would) and returns the bytes.
func fetchFile(t *testing.T, ctx context.Context, url string) []byte {
	t.Helper()
	js := `fetch(` + strconv.Quote(url) + `).then(r => { if (!r.ok) throw new Error('HTTP ' + r.status); return r.arrayBuffer(); })
		.then(b => { const u = new Uint8Array(b); let s = ''; for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); return btoa(s); })`
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("download %s: %v", url, err)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestImportWalk: an admin downloads the customers template, fills it in
// (with excelize, as a person would in Excel), uploads it and sees the
// preview with its errors; downloads the error report, fixes the rows in
// it and uploads the report itself; commits; and finds the import in the
// history. Screenshots of the preview and the history.
func TestImportWalk(t *testing.T) {
	ctx := browser(t)
	db := testdb.New(t)
	bg := context.Background()
	hash, err := password.Hash("import-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	sales, _ := db.CreateDepartment(bg, crm.DepartmentInput{Name: "销售部"}, false)
	if _, err := db.CreateEmployee(bg, crm.EmployeeInput{Username: "root", Name: "系统管理员", Role: crm.RoleAdmin}, hash, false, false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateEmployee(bg, crm.EmployeeInput{Username: "zhangsan", Name: "张三", Role: crm.RoleSalesRep, DepartmentID: sales}, hash, false, false); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Config{DB: db, Log: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	base := srv.URL
	dir := t.TempDir()

	login(t, ctx, base, "root", "import-pass-1")
	do(t, ctx, "import page", chromedp.Navigate(base+"/import"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-table-customers]`)))
	// Nine tables plus orders (with lines) and payments, admins only.
	if n := count(t, ctx, `[data-testid^=import-table-]`); n != 11 {
		t.Fatalf("the admin sees %d tables, want 11", n)
	}

	// The template, as the link downloads it, filled in below its examples.
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`[data-testid=template-customers]`), "href"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(fetchFile(t, ctx, href.Value)))
	if err != nil {
		t.Fatalf("the template is not a workbook: %v", err)
	}
	sh := f.GetSheetList()[0]
	// 客户名称 客户级别 行业 来源 市场活动 电话 地址 备注 负责人（用户名） 部门（公海）
	for i, r := range [][]any{
		{"东方电气股份有限公司", "A 重点客户", "制造业", "展会", "", "021-60001234", "上海市闵行区", "", "zhangsan", ""},
		{"西部物流有限公司", "Z 级客户", "", "官网", "", "", "成都市", "", "", "销售部"},
		{"南方零售集团", "B 普通客户", "零售", "", "", "", "", "年度框架", "lisi", ""},
		{"北辰软件", "C 一般客户", "互联网", "转介绍", "", "010-8888", "", "", "", ""},
	} {
		if err := f.SetSheetRow(sh, "A"+strconv.Itoa(i+4), &r); err != nil {
			t.Fatal(err)
		}
	}
	first := filepath.Join(dir, "客户导入.xlsx")
	if err := f.SaveAs(first); err != nil {
		t.Fatal(err)
	}
	f.Close()

	do(t, ctx, "upload with errors",
		chromedp.SetUploadFiles(chromedp.CSS(`#file-customers`), []string{first}),
		chromedp.Click(chromedp.CSS(`[data-testid=preview-customers]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-counts]`)),
	)
	if got := text(t, ctx, `[data-testid=count-error]`); got != "2" {
		t.Fatalf("errors counted: %q, want 2", got)
	}
	if got := text(t, ctx, `[data-testid=count-new]`); got != "2" {
		t.Fatalf("new counted: %q, want 2", got)
	}
	errs := text(t, ctx, `[data-testid=import-errors]`)
	for _, want := range []string{"第 5 行「客户级别」：「Z 级客户」不是允许的值", "第 6 行「负责人（用户名）」：找不到用户名为「lisi」的员工。"} {
		if !strings.Contains(errs, want) {
			t.Fatalf("the preview lacks %q:\n%s", want, errs)
		}
	}
	if n := count(t, ctx, `[data-testid=preview-row]`); n != 4 {
		t.Fatalf("preview rows: %d", n)
	}
	shot(t, ctx, "import-preview-zh")

	// The error report: the uploaded sheet with 错误原因; fixed and uploaded as it is.
	href, err = chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`[data-testid=error-report]`), "href"))
	if err != nil {
		t.Fatal(err)
	}
	report, err := excelize.OpenReader(bytes.NewReader(fetchFile(t, ctx, href.Value)))
	if err != nil {
		t.Fatal(err)
	}
	sh = report.GetSheetList()[0]
	rows, _ := report.GetRows(sh)
	if len(rows) != 7 || rows[0][10] != "错误原因" || !strings.Contains(rows[4][10], "不是允许的值") || !strings.Contains(rows[5][10], "lisi") {
		t.Fatalf("error report %q", rows)
	}
	_ = report.SetCellValue(sh, "B5", "B 普通客户")
	_ = report.SetCellValue(sh, "I6", "zhangsan")
	fixed := filepath.Join(dir, "客户导入-已修正.xlsx")
	if err := report.SaveAs(fixed); err != nil {
		t.Fatal(err)
	}
	report.Close()

	do(t, ctx, "upload the fixed report",
		chromedp.Navigate(base+"/import"),
		chromedp.WaitVisible(chromedp.CSS(`#file-customers`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#file-customers`), []string{fixed}),
		chromedp.Click(chromedp.CSS(`[data-testid=preview-customers]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=commit-form]`)),
	)
	if got := text(t, ctx, `[data-testid=count-error]`); got != "0" {
		t.Fatalf("errors after fixing: %q", got)
	}
	if got := text(t, ctx, `[data-testid=count-new]`); got != "4" {
		t.Fatalf("new after fixing: %q", got)
	}
	do(t, ctx, "commit",
		chromedp.Click(chromedp.CSS(`[data-testid=commit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-committed]`)),
	)
	if !strings.Contains(text(t, ctx, `[data-testid=flash]`), "导入完成：新增 4 条") {
		t.Fatal("no confirmation of the import")
	}
	var n int
	if err := db.Pool.QueryRow(bg, `SELECT count(*) FROM customers`).Scan(&n); err != nil || n != 4 {
		t.Fatalf("customers: %d %v", n, err)
	}
	if err := db.Pool.QueryRow(bg, `SELECT count(*) FROM customers WHERE owner_id IS NULL AND department_id = $1`, sales).Scan(&n); err != nil || n != 1 {
		t.Fatalf("pool customers: %d %v", n, err)
	}

	do(t, ctx, "history", chromedp.Navigate(base+"/import"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-jobs]`)))
	if n := count(t, ctx, `[data-testid=import-job-row]`); n != 2 {
		t.Fatalf("history rows: %d, want 2 (the first upload, still a preview, and the committed one)", n)
	}
	if got := text(t, ctx, `[data-testid=import-jobs]`); !strings.Contains(got, "客户导入-已修正.xlsx") || !strings.Contains(got, "已导入") {
		t.Fatalf("history: %s", got)
	}
	shot(t, ctx, "import-history-zh")
	_ = os.Remove(first)
}
