package server_test

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/xuri/excelize/v2"

	"crm/internal/crm"
	"crm/internal/xlsx"
)

// upload posts a file as the import page's form does (multipart, from the
// site's own page).
func (c *client) upload(path, fileName string, data []byte, fields ...string) *page {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for i := 0; i+1 < len(fields); i += 2 {
		_ = mw.WriteField(fields[i], fields[i+1])
	}
	fw, err := mw.CreateFormFile("file", fileName)
	if err != nil {
		c.t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.base+path, &body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", c.base)
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("upload %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	p := &page{t: c.t, method: "POST", path: path, Status: res.StatusCode, Location: res.Header.Get("Location"),
		Header: res.Header, Body: string(b)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		p.Doc, _ = goquery.NewDocumentFromReader(strings.NewReader(p.Body))
	}
	return p
}

// workbook writes rows (row 1 first) into an xlsx.
func workbook(t *testing.T, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readSheet opens an xlsx answer and returns its first sheet's rows.
func readSheet(t *testing.T, p *page) [][]string {
	t.Helper()
	if ct := p.Header.Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") {
		t.Fatalf("%s %s: content type %q\n%s", p.method, p.path, ct, abbreviate(p.Body))
	}
	f, err := excelize.OpenReader(strings.NewReader(p.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// jobID reads the job's id from a redirect to /import/jobs/{id}.
func jobID(t *testing.T, p *page) int64 {
	t.Helper()
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/import/jobs/") {
		t.Fatalf("upload: %d → %q\n%s", p.Status, p.Location, abbreviate(p.Body))
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(p.Location, "/import/jobs/"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestImportRoutesEveryRole: for every import route and every role —
// admins import every table, management the business tables, the others
// nothing (403); a job is viewed by its importer and admins (404 for
// other importers) and committed by its importer only.
func TestImportRoutesEveryRole(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	hq := mustDepartment(t, a.DB, "总部", 0)
	for _, r := range crm.Roles {
		mustEmployee(t, a.DB, "u_"+string(r), r, hq)
	}
	mustEmployee(t, a.DB, "boss2", crm.RoleManagement, hq)
	clients := map[crm.Role]*client{}
	for _, r := range crm.Roles {
		clients[r] = a.loginAs("u_" + string(r))
	}
	boss2 := a.loginAs("boss2")
	good := workbook(t, []any{"客户名称"}, []any{"甲公司"})
	bossJob := jobID(t, clients[crm.RoleManagement].upload("/import/customers", "c.xlsx", good))
	adminJob := jobID(t, clients[crm.RoleAdmin].upload("/import/customers", "c.xlsx", good))
	cases := 0
	want := func(r crm.Role, got *page, code int) {
		t.Helper()
		cases++
		if got.Status != code {
			t.Errorf("%s %s %s: %d, want %d\n%s", r, got.method, got.path, got.Status, code, abbreviate(got.Body))
		}
	}
	for _, r := range crm.Roles {
		c := clients[r]
		importer := r == crm.RoleAdmin || r == crm.RoleManagement
		gate := func(ok int) int {
			if importer {
				return ok
			}
			return http.StatusForbidden
		}
		want(r, c.get("/import"), gate(http.StatusOK))
		want(r, c.get("/import/nothing/template.xlsx"), gate(http.StatusNotFound))
		for _, tb := range xlsx.Tables {
			allowed := r == crm.RoleAdmin || (r == crm.RoleManagement && tb.Business)
			code := http.StatusForbidden
			if allowed {
				code = http.StatusOK
			}
			want(r, c.get("/import/"+tb.Name+"/template.xlsx"), code)
			if allowed {
				code = http.StatusUnprocessableEntity // got in; the file is not an xlsx
			}
			want(r, c.upload("/import/"+tb.Name, "x.xlsx", []byte("not a workbook")), code)
		}
		// The management user's job: theirs, an admin's to view.
		own := r == crm.RoleManagement
		view := gate(http.StatusNotFound)
		if own || r == crm.RoleAdmin {
			view = http.StatusOK
		}
		want(r, c.get(fmtPath("/import/jobs/%d", bossJob)), view)
		want(r, c.get(fmtPath("/import/jobs/%d/errors.xlsx", bossJob)), view)
		pw := gate(http.StatusNotFound)
		if own {
			pw = http.StatusConflict // nothing to download
		}
		want(r, c.get(fmtPath("/import/jobs/%d/passwords.xlsx", bossJob)), pw)
		commit := gate(http.StatusNotFound)
		switch r {
		case crm.RoleAdmin:
			commit = http.StatusForbidden // may view it, may not act on it
		case crm.RoleManagement:
			commit = http.StatusSeeOther
		}
		want(r, c.post(fmtPath("/import/jobs/%d/commit", bossJob), form("on_error", "skip")), commit)
	}
	want(crm.RoleManagement, boss2.get(fmtPath("/import/jobs/%d", adminJob)), http.StatusNotFound)
	want(crm.RoleManagement, boss2.post(fmtPath("/import/jobs/%d/commit", adminJob), nil), http.StatusNotFound)
	want(crm.RoleAdmin, clients[crm.RoleAdmin].get("/import/jobs/999999"), http.StatusNotFound)
	if n := a.count(`SELECT count(*) FROM customers`); n != 1 {
		t.Errorf("customers: %d, want the one committed job", n)
	}
	t.Logf("%d route×role cases", cases)
}

// TestImportPreviewAndCommitPages: upload a file with an error, see the
// counts, the error (第N行 「列名」：…) and the first rows; download the
// error report; a blocking commit writes nothing, a skipping one writes the
// rest; the history lists the job.
func TestImportPreviewAndCommitPages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	hq := mustDepartment(t, a.DB, "总部", 0)
	mustEmployee(t, a.DB, "boss", crm.RoleManagement, hq)
	mustEmployee(t, a.DB, "rep", crm.RoleSalesRep, hq)
	c := a.loginAs("boss")
	data := workbook(t, []any{"客户名称*", "客户级别", "负责人（用户名）"},
		[]any{"【示例】某某公司", "A 重点客户", "zhangsan"},
		[]any{"甲公司", "A 重点客户", "rep"},
		[]any{"乙公司", "Z 级", "ghost"},
		[]any{"丙公司", "", ""},
	)
	id := jobID(t, c.upload("/import/customers", "客户.xlsx", data))
	if n := a.count(`SELECT count(*) FROM customers`); n != 0 {
		t.Fatalf("the preview wrote %d customers", n)
	}
	p := c.get(jobURL(id)).wantStatus(http.StatusOK)
	for id, n := range map[string]string{"count-total": "3", "count-new": "2", "count-update": "0", "count-skip": "0", "count-error": "1"} {
		p.wantText(tid(id), n)
	}
	errs := p.texts(tid("import-error"))
	wantErrs := []string{"第 4 行「客户级别」：「Z 级」不是允许的值。可选：A 重点客户、B 普通客户、C 一般客户。",
		"第 4 行「负责人（用户名）」：找不到用户名为「ghost」的员工。"}
	if strings.Join(errs, "\n") != strings.Join(wantErrs, "\n") {
		t.Fatalf("errors %q, want %q", errs, wantErrs)
	}
	if rows := p.texts(tid("preview-row")); len(rows) != 3 {
		t.Fatalf("preview rows %q", rows)
	}
	p.wantText(tid("import-status"), "尚未写入任何数据")
	if !p.has(tid("commit-form")) {
		t.Fatal("no commit form")
	}

	rep := c.get(jobURL(id) + "/errors.xlsx").wantStatus(http.StatusOK)
	if _, params, _ := mime.ParseMediaType(rep.Header.Get("Content-Disposition")); params["filename"] != "客户-错误报告.xlsx" {
		t.Errorf("report file name: %q", rep.Header.Get("Content-Disposition"))
	}
	rows := readSheet(t, rep)
	if rows[0][3] != "错误原因" || !strings.Contains(rows[3][3], "「负责人（用户名）」找不到用户名为「ghost」的员工") || len(rows[2]) > 3 {
		t.Fatalf("error report %q", rows)
	}

	c.post(jobURL(id)+"/commit", form("on_error", "block", "existing", "skip")).wantRedirect(jobURL(id))
	if n := a.count(`SELECT count(*) FROM customers`); n != 0 {
		t.Fatalf("a blocked commit wrote %d customers", n)
	}
	p = c.get(jobURL(id))
	p.wantText(tid("flash"), "没有写入任何数据")
	p.wantText(tid("import-blocked"), "有 1 行存在错误")

	c.post(jobURL(id)+"/commit", form("on_error", "skip", "existing", "skip")).wantRedirect(jobURL(id))
	if n := a.count(`SELECT count(*) FROM customers WHERE created_by = (SELECT id FROM employees WHERE username = 'boss')`); n != 2 {
		t.Fatalf("customers after the commit: %d", n)
	}
	p = c.get(jobURL(id))
	p.wantText(tid("flash"), "导入完成：新增 2 条")
	p.wantText(tid("import-committed"), "已于")
	if p.has(tid("commit-form")) {
		t.Error("a committed job offers the commit form")
	}
	c.post(jobURL(id)+"/commit", form("on_error", "skip")).wantStatus(http.StatusConflict)

	p = c.get("/import").wantStatus(http.StatusOK)
	p.wantText(tid("import-job-row"), "客户.xlsx")
	p.wantText(tid("import-job-row"), "已导入")
	if p.has(tid("import-table-employees")) || !p.has(tid("import-table-customers")) {
		t.Error("management sees the tables of its role only")
	}
}

// TestImportRefusedUploads: a file that cannot be imported comes back on
// the import page with the reason (422), in the user's language, and
// nothing is recorded.
func TestImportRefusedUploads(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustEmployee(t, a.DB, "root", crm.RoleAdmin, 0)
	c := a.loginAs("root")
	p := c.upload("/import/products", "产品.xlsx", workbook(t, []any{"SKU", "产品名称", "颜色"}, []any{"A", "B", "红"})).
		wantStatus(http.StatusUnprocessableEntity)
	p.wantText(tid("import-table-products")+" "+tid("import-file-error"), "有无法识别的列：「颜色」（C）")
	c.upload("/import/products", "产品.xlsx", nil).wantStatus(http.StatusUnprocessableEntity).
		wantText(tid("import-file-error"), "请选择要上传的 Excel 文件")
	c.header.Set("Accept-Language", "en")
	c.post("/locale", form("lang", "en", "next", "/import"))
	c.upload("/import/products", "p.xlsx", []byte("hello")).wantStatus(http.StatusUnprocessableEntity).
		wantText(tid("import-file-error"), "This is not an Excel workbook")
	if n := a.count(`SELECT count(*) FROM import_jobs`); n != 0 {
		t.Fatalf("refused uploads recorded %d jobs", n)
	}
}

// TestImportUploadSizeLimit: the upload limit comes from
// CRM_IMPORT_MAX_MB; a larger file answers 413 with a clear message and
// is not read further.
func TestImportUploadSizeLimit(t *testing.T) {
	t.Setenv("CRM_IMPORT_MAX_MB", "1")
	a := newApp(t)
	mustEmployee(t, a.DB, "root", crm.RoleAdmin, 0)
	c := a.loginAs("root")
	big := append([]byte("PK"), bytes.Repeat([]byte("x"), 3<<20)...)
	c.upload("/import/customers", "big.xlsx", big).wantStatus(http.StatusRequestEntityTooLarge).
		wantText(tid("import-file-error"), "文件超过 1 MiB 的上限")
	if n := a.count(`SELECT count(*) FROM import_jobs`); n != 0 {
		t.Fatal("a refused upload was recorded")
	}
}

// TestImportBusy: with every import slot of the process taken, another
// import is refused with 429 and a message, not queued.
func TestImportBusy(t *testing.T) {
	a := newApp(t)
	mustEmployee(t, a.DB, "root", crm.RoleAdmin, 0)
	c := a.loginAs("root")
	var held []func()
	for {
		release, ok := xlsx.TryAcquire()
		if !ok {
			break
		}
		held = append(held, release)
	}
	p := c.upload("/import/customers", "c.xlsx", workbook(t, []any{"客户名称"}, []any{"甲"}))
	for _, release := range held {
		release()
	}
	p.wantStatus(http.StatusTooManyRequests)
	p.wantText("main", "系统正在处理其他导入")
	if p.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	jobID(t, c.upload("/import/customers", "c.xlsx", workbook(t, []any{"客户名称"}, []any{"甲"})))
}

// TestImportEmployeesPasswordPages: an admin imports employees; the job
// page offers the initial passwords once; the new employee must change
// the password at first sign-in.
func TestImportEmployeesPasswordPages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mustDepartment(t, a.DB, "销售部", 0)
	mustEmployee(t, a.DB, "root", crm.RoleAdmin, 0)
	c := a.loginAs("root")
	tpl := c.get("/import/employees/template.xlsx").wantStatus(http.StatusOK)
	if _, params, _ := mime.ParseMediaType(tpl.Header.Get("Content-Disposition")); params["filename"] != "员工导入模板.xlsx" {
		t.Errorf("template name %q", tpl.Header.Get("Content-Disposition"))
	}
	if rows := readSheet(t, tpl); rows[0][0] != "用户名*" || !strings.HasPrefix(rows[1][0], "【示例】") {
		t.Fatalf("template %q", rows)
	}
	id := jobID(t, c.upload("/import/employees", "员工.xlsx", workbook(t,
		[]any{"用户名", "姓名", "部门", "角色"}, []any{"newbie", "新人", "销售部", "销售员"})))
	c.post(jobURL(id)+"/commit", form("on_error", "block")).wantRedirect(jobURL(id))
	p := c.get(jobURL(id)).wantStatus(http.StatusOK)
	p.wantText(tid("import-passwords"), "1 名新员工")
	rows := readSheet(t, c.get(jobURL(id)+"/passwords.xlsx").wantStatus(http.StatusOK))
	if len(rows) != 2 || rows[1][0] != "newbie" {
		t.Fatalf("passwords %q", rows)
	}
	c.get(jobURL(id) + "/passwords.xlsx").wantStatus(http.StatusConflict)
	if c.get(jobURL(id)).has(tid("import-passwords")) {
		t.Error("the passwords are offered again")
	}
	n := a.client()
	if loc := login(t, n, "newbie", rows[1][2]); loc != "/profile" {
		t.Fatalf("first sign-in goes to %q, want /profile (must change the password)", loc)
	}
}

func jobURL(id int64) string { return fmtPath("/import/jobs/%d", id) }
