package server_test

import (
	"archive/zip"
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"crm/internal/crm"
)

// editZip copies an xlsx, passing each part through edit.
func editZip(t *testing.T, data []byte, edit func(name string, b []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(edit(f.Name, b))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// uploadAs posts a file as upload does, its Content-Disposition naming it
// as given (filename=…, or filename*=… encoded).
func uploadAs(c *client, path, name string, data []byte) *page {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Disposition": {`form-data; name="file"; ` + name},
		"Content-Type": {"application/octet-stream"}})
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
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &page{t: c.t, method: "POST", path: path, Status: res.StatusCode, Location: res.Header.Get("Location"),
		Header: res.Header, Body: string(b)}
}

// TestImportBadCellsPages: through the real router, a cell holding NUL
// (_x0000_, which PostgreSQL refuses) is an error of its row and column
// on a preview page answered 200 — not a 500, not a database message; a
// phone Excel stored as a number is a warning on that page, marked in the
// preview; the page says which sheet was read; a skipping commit writes
// the good rows. A sheet with a row that cannot be read is refused on the
// import page with that row's number, and nothing is recorded.
func TestImportBadCellsPages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	hq := mustDepartment(t, a.DB, "总部", 0)
	mustEmployee(t, a.DB, "boss", crm.RoleManagement, hq)
	c := a.loginAs("boss")

	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"客户名称", "电话"})
	_ = f.SetSheetRow("Sheet1", "A2", &[]any{"甲公司", 2160000001})
	_ = f.SetSheetRow("Sheet1", "A3", &[]any{"乙NUL公司", "021-2"})
	_, _ = f.NewSheet("备注")
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data := editZip(t, buf.Bytes(), func(name string, b []byte) []byte {
		if name == "xl/sharedStrings.xml" {
			return bytes.Replace(b, []byte("NUL"), []byte("_x0000_"), 1)
		}
		return b
	})
	// A file name with a NUL in it (RFC 2231 encoded: a raw one does not
	// get through the multipart reader) is stored without it.
	id := jobID(t, uploadAs(c, "/import/customers", `filename*=UTF-8''%E5%AE%A2%E6%88%B7%00.xlsx`, data))
	p := c.get(jobURL(id)).wantStatus(http.StatusOK)
	p.wantText(tid("import-error"), "第 3 行「客户名称」：含有不可见的控制字符（U+0000），请删除后再上传。")
	p.wantText(tid("import-warning"), "第 2 行「电话」：Excel 把「2160000001」存成了数字而不是文本")
	p.wantText(tid("import-sheet"), "读取工作表：「Sheet1」（其他工作表未读取：备注）")
	p.wantText(tid("preview-warn"), "2160000001")
	p.wantText(tid("count-error"), "1")
	if strings.Contains(p.Body, "SQLSTATE") || strings.Contains(p.Body, "0x00") {
		t.Fatal("the page shows a database error")
	}
	if n := a.count(`SELECT count(*) FROM import_jobs WHERE file_name = '客户.xlsx'`); n != 1 {
		t.Fatalf("jobs named 客户.xlsx: %d", n)
	}
	c.post(jobURL(id)+"/commit", form("on_error", "skip", "existing", "skip")).wantRedirect(jobURL(id))
	if n := a.count(`SELECT count(*) FROM customers`); n != 1 {
		t.Fatalf("customers: %d", n)
	}
	c.get(jobURL(id)).wantStatus(http.StatusOK).wantText(tid("import-warning"), "存成了数字")

	// A row that cannot be read (a raw control character in row 3).
	bad := editZip(t, workbook(t, []any{"客户名称"}, []any{"丙公司"}, []any{"丁公司"}, []any{"戊公司"}), func(name string, b []byte) []byte {
		if name == "xl/sharedStrings.xml" {
			return bytes.Replace(b, []byte("丁公司"), []byte("丁\x01公司"), 1)
		}
		return b
	})
	c.upload("/import/customers", "坏.xlsx", bad).wantStatus(http.StatusUnprocessableEntity).
		wantText(tid("import-table-customers")+" "+tid("import-file-error"), "第 3 行单元格 A3 的文字无法读取")
	if n := a.count(`SELECT count(*) FROM import_jobs`); n != 1 {
		t.Fatalf("the refused file was recorded: %d jobs", n)
	}
	if n := a.count(`SELECT count(*) FROM customers`); n != 1 {
		t.Fatalf("customers: %d", n)
	}
}
