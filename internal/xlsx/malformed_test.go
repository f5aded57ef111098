package xlsx_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"crm/internal/i18n"
	"crm/internal/xlsx"
)

// rezip copies an xlsx, changing the parts named in edit (name → new
// content) and adding extra parts.
func rezip(t *testing.T, data []byte, edit func(name string, b []byte) []byte) []byte {
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
		if _, err := w.Write(edit(f.Name, b)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipBomb is a valid workbook plus a part that unpacks to 260 MiB of
// zeros (it packs to a few hundred KiB).
func zipBomb(t *testing.T, valid []byte) []byte {
	t.Helper()
	zr, _ := zip.NewReader(bytes.NewReader(valid), int64(len(valid)))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	w, err := zw.Create("xl/media/image1.bin")
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for i := 0; i < 260; i++ {
		if _, err := w.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportMalformedFiles: every kind of file that cannot be imported
// gets its own clear message, and nothing is written (not even a job).
func TestImportMalformedFiles(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	products := xlsx.TableByName("products")
	good := book(t, []any{"SKU", "产品名称"}, []any{"A-1", "软件"})

	encrypted := func() []byte {
		f := excelize.NewFile()
		defer f.Close()
		_ = f.SetSheetRow("Sheet1", "A1", &[]any{"SKU", "产品名称"})
		var buf bytes.Buffer
		if err := f.Write(&buf, excelize.Options{Password: "secret"}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}()
	merged := func() []byte {
		f := excelize.NewFile()
		defer f.Close()
		_ = f.SetSheetRow("Sheet1", "A1", &[]any{"SKU", "产品名称"})
		_ = f.SetSheetRow("Sheet1", "A2", &[]any{"A-1", "软件"})
		_ = f.SetSheetRow("Sheet1", "A3", &[]any{"A-2", ""})
		if err := f.MergeCell("Sheet1", "B2", "B3"); err != nil {
			t.Fatal(err)
		}
		return write(t, f)
	}()
	xls := append([]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}, bytes.Repeat([]byte{0}, 2000)...)

	cases := []struct {
		name   string
		data   []byte
		limits xlsx.Limits
		key    string
		want   string // part of the Chinese message
	}{
		{"text file", []byte("SKU,产品名称\nA-1,软件\n"), xlsx.Limits{}, "import.file.not_xlsx", "不是 Excel"},
		{"empty file", nil, xlsx.Limits{}, "import.file.empty_file", "空的"},
		{"zip but not a workbook", rezip(t, good, func(n string, b []byte) []byte {
			if n == "xl/workbook.xml" {
				return []byte("<nonsense")
			}
			return b
		}), xlsx.Limits{}, "import.file.corrupt", "损坏"},
		{"truncated", good[:len(good)/2], xlsx.Limits{}, "import.file.corrupt", "损坏"},
		{"password", encrypted, xlsx.Limits{}, "import.file.encrypted", "密码"},
		{"xls", xls, xlsx.Limits{}, "import.file.xls", ".xls"},
		{"empty sheet", book(t), xlsx.Limits{}, "import.file.empty_sheet", "空的"},
		{"header only", book(t, []any{"SKU", "产品名称"}), xlsx.Limits{}, "import.file.no_rows", "没有数据行"},
		{"examples only", book(t, []any{"SKU", "产品名称"}, []any{"【示例】X", "Y"}), xlsx.Limits{}, "import.file.no_rows", "没有数据行"},
		{"header in row 3", book(t, []any{}, []any{}, []any{"SKU", "产品名称"}, []any{"A", "B"}), xlsx.Limits{}, "import.file.header_row", "第 3 行"},
		{"title above the header", book(t, []any{"产品清单"}, []any{"SKU", "产品名称"}, []any{"A", "B"}), xlsx.Limits{}, "import.file.header_row", "第 2 行"},
		{"no header", book(t, []any{"A-1", "软件"}), xlsx.Limits{}, "import.file.no_header", "SKU、产品名称"},
		{"unknown column", book(t, []any{"SKU", "产品名称", "微信号"}, []any{"A", "B", "C"}), xlsx.Limits{}, "import.file.unknown_columns", "「微信号」（C）"},
		{"missing required column", book(t, []any{"SKU", "分类"}, []any{"A", "B"}), xlsx.Limits{}, "import.file.missing_columns", "产品名称"},
		{"same column twice", book(t, []any{"SKU", "产品名称", "SKU"}, []any{"A", "B", "C"}), xlsx.Limits{}, "import.file.duplicate_column", "SKU"},
		{"merged cells", merged, xlsx.Limits{}, "import.file.merged", "B2:B3"},
		{"too large", good, xlsx.Limits{MaxFileBytes: 1000}, "import.file.too_large", "0 MiB"},
		{"zip bomb", zipBomb(t, good), xlsx.Limits{}, "import.file.unzip_limit", "200 MiB"},
		{"too many rows", streamBook(t, []any{"SKU", "产品名称"}, 1001, func(i int) []any { return []any{i, "x"} }),
			xlsx.Limits{MaxRows: 1000}, "import.file.too_many_rows", "1000 行"},
	}
	for _, c := range cases {
		im := &xlsx.Importer{DB: o.db, Limits: c.limits}
		_, rep, err := im.Preview(ctx, o.boss, products, c.name+".xlsx", c.data, xlsx.Options{})
		var fe *xlsx.FileError
		if !errors.As(err, &fe) {
			t.Errorf("%s: %v (report %+v), want a file error", c.name, err, rep)
			continue
		}
		if msg := fe.Message(i18n.ZH); fe.Key != c.key || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %s %q, want %s containing %q", c.name, fe.Key, msg, c.key, c.want)
		}
		if fe.Message(i18n.EN) == fe.Key {
			t.Errorf("%s: no English message", c.name)
		}
	}
	if n := count(t, o.db, `SELECT (SELECT count(*) FROM import_jobs) + (SELECT count(*) FROM products)`); n != 0 {
		t.Fatalf("malformed files wrote %d rows", n)
	}
}

// TestImportBadCells: a cell of 100 000 characters, a formula without a
// calculated value and an error value are errors of their rows (nothing
// is written while errors block); a formula with a calculated value reads
// as that value.
func TestImportBadCells(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"SKU", "产品名称", "标准价格"})
	_ = f.SetSheetRow("Sheet1", "A2", &[]any{"LONG", "LONGTEXT", "1"})
	_ = f.SetSheetRow("Sheet1", "A3", &[]any{"F-1", "公式无值"})
	_ = f.SetCellFormula("Sheet1", "C3", "=1+1")
	_ = f.SetSheetRow("Sheet1", "A4", &[]any{"F-2", "公式有值"})
	_ = f.SetCellFormula("Sheet1", "C4", "=40+2")
	_ = f.SetSheetRow("Sheet1", "A5", &[]any{"F-3", "错误值", "#N/A"})
	data := write(t, f)
	f.Close()
	// Excel itself writes at most 32 767 characters to a cell; other
	// programs write more. Give C4 the cached value Excel would have
	// saved, and make C5 an error cell as Excel writes #N/A.
	data = rezip(t, data, func(name string, b []byte) []byte {
		if name == "xl/sharedStrings.xml" {
			return bytes.Replace(b, []byte("LONGTEXT"), []byte(strings.Repeat("长", 100000)), 1)
		}
		if name != "xl/worksheets/sheet1.xml" {
			return b
		}
		s := string(b)
		s = strings.Replace(s, `<f>=40+2</f>`, `<f>40+2</f><v>42</v>`, 1)
		s = strings.Replace(s, `<c r="C5" t="s"><v>`, `<c r="C5" t="e"><v>#N/A</v><x>`, 1)
		if i := strings.Index(s, `<x>`); i >= 0 {
			j := strings.Index(s[i:], `</v>`)
			s = s[:i] + s[i+j+len(`</v>`):]
		}
		return []byte(s)
	})
	im := importer(o.db)
	id, rep, err := im.Preview(ctx, o.boss, xlsx.TableByName("products"), "bad.xlsx", data, xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	msgs := messages(rep)
	want := []string{"第 2 行「产品名称」：内容过长（100000 个字符，最多 200 个）。",
		"第 3 行「标准价格」：单元格是公式，但文件中没有它的计算结果。请在 Excel 中打开并保存，或把公式粘贴为数值。",
		"第 5 行「标准价格」：单元格的值是错误值「#N/A」。"}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Fatalf("errors\n%s\nwant\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
	if rep.Counts.New != 1 || rep.Preview[2].Cells[4] != "42" {
		t.Fatalf("the formula with a value: %+v %q", rep.Counts, rep.Preview[2].Cells)
	}
	if rep, err = im.Commit(ctx, o.boss, id, xlsx.Options{}); err != nil || !rep.Blocked {
		t.Fatalf("commit: %v %+v", err, rep)
	}
	if n := count(t, o.db, `SELECT count(*) FROM products`); n != 0 {
		t.Fatalf("wrote %d products", n)
	}
}
