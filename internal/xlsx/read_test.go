package xlsx_test

// Reading a workbook to its end: rows that cannot be read, cells no
// record should hold, the sheet that is read, phone numbers Excel took
// for numbers, and the limits every length message states.

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"crm/internal/i18n"
	"crm/internal/postgres"
	"crm/internal/xlsx"
)

// rawSheet is one sheet of a workbook written by hand: its name, its
// state ("", "hidden", "veryHidden") and the XML inside its <sheetData>
// (head, when set, goes before <sheetData>: a <dimension>).
type rawSheet struct {
	name, state, head, data string
}

// rawBook writes an xlsx zip part by part, with the sheets' XML as given
// (nothing is escaped or checked: the point is to write what a broken
// program writes) and, when sst is not empty, a shared strings part
// holding those <si> elements.
func rawBook(t *testing.T, sst string, sheets ...rawSheet) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	put := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	types := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`
	var wb, rels strings.Builder
	wb.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="` + rel + `"><sheets>`)
	rels.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	for i, sh := range sheets {
		n := i + 1
		state := ""
		if sh.state != "" {
			state = ` state="` + sh.state + `"`
		}
		fmt.Fprintf(&wb, `<sheet name="%s" sheetId="%d"%s r:id="rId%d"/>`, sh.name, n, state, n)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="%s/worksheet" Target="worksheets/sheet%d.xml"/>`, n, rel, n)
		types += fmt.Sprintf(`<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, n)
		put(fmt.Sprintf("xl/worksheets/sheet%d.xml", n), `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`+sh.head+`<sheetData>`+sh.data+`</sheetData></worksheet>`)
	}
	if sst != "" {
		n := len(sheets) + 1
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="%s/sharedStrings" Target="sharedStrings.xml"/>`, n, rel)
		types += `<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`
		put("xl/sharedStrings.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`+sst+`</sst>`)
	}
	wb.WriteString(`</sheets></workbook>`)
	rels.WriteString(`</Relationships>`)
	put("[Content_Types].xml", types+`</Types>`)
	put("_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="`+rel+`/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	put("xl/workbook.xml", wb.String())
	put("xl/_rels/workbook.xml.rels", rels.String())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// inlineRow is a row of inline-string cells, written as they are.
func inlineRow(n int, cells ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<row r="%d">`, n)
	for i, c := range cells {
		fmt.Fprintf(&b, `<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>`, string(rune('A'+i)), n, c)
	}
	b.WriteString(`</row>`)
	return b.String()
}

// sharedRow is a row of shared-string cells (their indexes).
func sharedRow(n int, idx ...int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<row r="%d">`, n)
	for i, x := range idx {
		fmt.Fprintf(&b, `<c r="%s%d" t="s"><v>%d</v></c>`, string(rune('A'+i)), n, x)
	}
	b.WriteString(`</row>`)
	return b.String()
}

// products are the rows of a small products sheet: the header and four
// products, row 2 to row 5.
var productRows = [][2]string{{"SKU", "产品名称"}, {"P-1", "软件"}, {"P-2", "服务"}, {"P-3", "硬件"}, {"P-4", "培训"}}

// fileError asserts that err is a file error with key whose Chinese
// message holds want, and that it has an English message.
func fileError(t *testing.T, what string, err error, key, want string) {
	t.Helper()
	var fe *xlsx.FileError
	if !errors.As(err, &fe) {
		t.Errorf("%s: %v, want the file error %s", what, err, key)
		return
	}
	if msg := fe.Message(i18n.ZH); fe.Key != key || !strings.Contains(msg, want) {
		t.Errorf("%s: %s %q, want %s containing %q", what, fe.Key, msg, key, want)
	}
	if en := fe.Message(i18n.EN); en == fe.Key || strings.Contains(en, "%!") {
		t.Errorf("%s: English message %q", what, en)
	}
}

// commitStored records data as a previewed job without checking it (as
// if it had passed an earlier check) and commits it: the commit reads the
// file again and must refuse it on its own.
func commitStored(t *testing.T, o *org, table string, data []byte) error {
	t.Helper()
	ctx := context.Background()
	id, err := o.db.CreateImportJob(ctx, o.boss, postgres.NewImportJob{Table: table, FileName: "stored.xlsx", File: data,
		OnError: "skip", Existing: "skip", Report: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = importer(o.db).Commit(ctx, o.boss, id, xlsx.Options{OnError: "skip"})
	return err
}

// TestImportUnreadableRows: a row that the XML decoder cannot read —
// bytes that are not UTF-8, an undefined entity, a raw control character
// — in the first data row, between good rows or in the last row, in an
// inline string or in the shared string a cell uses, refuses the whole
// file with the row where reading failed, in the preview and in the
// commit; nothing is written (excelize alone would import the rows
// before it and stop there, saying nothing).
func TestImportUnreadableRows(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	products := xlsx.TableByName("products")
	bad := map[string]string{"invalid UTF-8": "坏\xff\xfe字", "undefined entity": "A &foo; B", "raw U+0001": "控\x01制"}
	for kind, text := range bad {
		for _, at := range []int{2, 3, 5} { // the first data row, the middle, the last
			what := fmt.Sprintf("%s in row %d", kind, at)
			// Inline strings.
			var data strings.Builder
			for i, r := range productRows {
				name := r[1]
				if i+1 == at {
					name = text
				}
				data.WriteString(inlineRow(i+1, r[0], name))
			}
			file := rawBook(t, "", rawSheet{name: "产品", data: data.String()})
			_, _, err := importer(o.db).Preview(ctx, o.boss, products, "bad.xlsx", file, xlsx.Options{OnError: "skip"})
			fileError(t, what+" (inline)", err, "import.file.unreadable_row", fmt.Sprintf("第 %d 行无法读取", at))
			fileError(t, what+" (inline, commit)", commitStored(t, o, "products", file), "import.file.unreadable_row", fmt.Sprintf("第 %d 行", at))

			// Shared strings: the bad text is string 2*at-1 (the name of
			// row at), its cell B{at}.
			var sst, rows strings.Builder
			for i, r := range productRows {
				name := r[1]
				if i+1 == at {
					name = text
				}
				fmt.Fprintf(&sst, `<si><t>%s</t></si><si><t>%s</t></si>`, r[0], name)
				rows.WriteString(sharedRow(i+1, 2*i, 2*i+1))
			}
			file = rawBook(t, sst.String(), rawSheet{name: "产品", data: rows.String()})
			_, _, err = importer(o.db).Preview(ctx, o.boss, products, "bad.xlsx", file, xlsx.Options{OnError: "skip"})
			// A string the decoder cannot read ends the table there: the
			// first cell that uses it or a later one is named.
			fileError(t, what+" (shared)", err, "import.file.unreadable_text", fmt.Sprintf("第 %d 行单元格 B%d", at, at))
			fileError(t, what+" (shared, commit)", commitStored(t, o, "products", file), "import.file.unreadable_text", fmt.Sprintf("B%d", at))
		}
	}
	// In the header row; a string no cell uses; rows out of order; an
	// element not closed; a sheet cut off; fewer rows than it declares.
	var good strings.Builder
	for i, r := range productRows {
		good.WriteString(inlineRow(i+1, r[0], r[1]))
	}
	cases := []struct {
		name  string
		file  []byte
		key   string
		want  string
		count int
	}{
		{"bad header", rawBook(t, "", rawSheet{name: "产品", data: inlineRow(1, "SKU", "产品\x02名称") + inlineRow(2, "A", "B")}),
			"import.file.unreadable_row", "第 1 行无法读取", 0},
		{"unused bad string", rawBook(t, `<si><t>SKU</t></si><si><t>产品名称</t></si><si><t>&nope;</t></si>`,
			rawSheet{name: "产品", data: sharedRow(1, 0, 1) + inlineRow(2, "A", "B")}),
			"import.file.bad_strings", "共享字符串", 0},
		{"string out of range", rawBook(t, `<si><t>SKU</t></si><si><t>产品名称</t></si>`,
			rawSheet{name: "产品", data: sharedRow(1, 0, 1) + sharedRow(2, 0, 7)}),
			"import.file.unreadable_text", "第 2 行单元格 B2", 0},
		{"rows out of order", rawBook(t, "", rawSheet{name: "产品", data: inlineRow(1, "SKU", "产品名称") + inlineRow(3, "A", "B") + inlineRow(2, "C", "D")}),
			"import.file.unreadable_row", "第 4 行", 0},
		{"mismatched tags", rawBook(t, "", rawSheet{name: "产品", data: inlineRow(1, "SKU", "产品名称") + `<row r="2"><c r="A2" t="inlineStr"><is><t>A</is></t></c></row>` + inlineRow(3, "C", "D")}),
			"import.file.unreadable_row", "第 2 行", 0},
		{"declares more rows", rawBook(t, "", rawSheet{name: "产品", head: `<dimension ref="A1:B9"/>`, data: good.String()}),
			"import.file.rows_missing", "声明数据到第 9 行，但只能读到第 5 行", 0},
	}
	for _, c := range cases {
		_, _, err := importer(o.db).Preview(ctx, o.boss, products, c.name+".xlsx", c.file, xlsx.Options{})
		fileError(t, c.name, err, c.key, c.want)
	}
	// A sheet cut off inside a row (its zip entry intact).
	cut := rawBook(t, "", rawSheet{name: "产品", data: good.String()})
	cut = rezip(t, cut, func(name string, b []byte) []byte {
		if name == "xl/worksheets/sheet1.xml" {
			return b[:bytes.Index(b, []byte(`<row r="4">`))+20]
		}
		return b
	})
	_, _, err := importer(o.db).Preview(ctx, o.boss, products, "cut.xlsx", cut, xlsx.Options{})
	fileError(t, "cut off", err, "import.file.unreadable_row", "第 4 行")

	if n := count(t, o.db, `SELECT count(*) FROM products`); n != 0 {
		t.Fatalf("unreadable files wrote %d products", n)
	}
	// Only the jobs recorded by commitStored: no preview recorded one.
	if n := count(t, o.db, `SELECT count(*) FROM import_jobs WHERE file_name <> 'stored.xlsx' OR status <> 'previewed'`); n != 0 {
		t.Fatalf("%d jobs recorded or committed", n)
	}

	// The same rows, readable, import whole (the hand-written workbook is
	// one excelize reads): the test files differ only in the bad text.
	_, rep, err := importer(o.db).Preview(ctx, o.boss, products, "good.xlsx", rawBook(t, "", rawSheet{name: "产品", head: `<dimension ref="A1:B5"/>`, data: good.String()}), xlsx.Options{})
	if err != nil || rep.Counts.New != 4 {
		t.Fatalf("the good file: %v %+v", err, rep)
	}
}

// TestImportControlCharacters: _x0000_ (NUL, which PostgreSQL refuses)
// and the other escaped control characters are an error of their cell,
// in every column of every table, and never reach the database: the
// preview answers, the rows with them are left out, the others written.
func TestImportControlCharacters(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	var controls []int // U+0001 … U+001F but tab and the line breaks, and DEL
	for c := 1; c < 0x20; c++ {
		if c != '\t' && c != '\n' && c != '\r' {
			controls = append(controls, c)
		}
	}
	controls = append(controls, 0x7f)
	code := func(i int) int { return controls[i%len(controls)] }
	for _, tb := range xlsx.Tables {
		header := make([]string, len(tb.Columns))
		row := make([]string, len(tb.Columns))
		for i := range tb.Columns {
			header[i] = xlsx.HeaderLabel(&tb.Columns[i], i18n.ZH)
			row[i] = fmt.Sprintf("值_x%04X_%d", code(i), i)
		}
		row[len(row)-1] = "尾_x0000_"
		file := rawBook(t, "", rawSheet{name: "表", data: inlineRow(1, header...) + inlineRow(2, row...)})
		_, rep, err := importer(o.db).Preview(ctx, o.admin, tb, "ctl.xlsx", file, xlsx.Options{})
		if err != nil {
			t.Errorf("%s: %v", tb.Name, err)
			continue
		}
		got := map[string]string{}
		for _, e := range rep.Errors {
			if e.Key == "import.err.control_char" {
				got[e.Field] = e.Args[0]
			}
		}
		for i, c := range tb.Columns {
			want := fmt.Sprintf("U+%04X", code(i))
			if i == len(tb.Columns)-1 {
				want = "U+0000"
			}
			if got[c.Field] != want {
				t.Errorf("%s.%s: control character error %q, want %q (errors %v)", tb.Name, c.Field, got[c.Field], want, messages(rep))
			}
		}
		if strings.Contains(string(rep.JSON()), `\u0000`) {
			t.Errorf("%s: the report holds a NUL", tb.Name)
		}
	}

	// A customer with NUL in its name next to a good one: the message
	// names the row and the column, the preview shows the cell without
	// it, the command line prints the message, and a skipping commit
	// writes the good row only.
	file := rawBook(t, "", rawSheet{name: "客户", data: inlineRow(1, "客户名称", "电话") + inlineRow(2, "甲公司", "021-1") +
		inlineRow(3, "乙_x0000_公司", "021-2") + inlineRow(4, "丙公司\x09", "021-3_x001F_")})
	customers := xlsx.TableByName("customers")
	id, rep, err := importer(o.db).Preview(ctx, o.boss, customers, "nul.xlsx", file, xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"第 3 行「客户名称」：含有不可见的控制字符（U+0000），请删除后再上传。",
		"第 4 行「电话」：含有不可见的控制字符（U+001F），请删除后再上传。"}
	if got := messages(rep); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("errors\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rep.Preview[1].Cells[0] != "乙\ufffd公司" {
		t.Errorf("preview cell %q", rep.Preview[1].Cells[0])
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text, i18n.ZH); err != nil || !strings.Contains(text.String(), want[0]) {
		t.Errorf("command line report %q (%v)", text.String(), err)
	}
	rep, err = importer(o.db).Commit(ctx, o.boss, id, xlsx.Options{OnError: "skip"})
	if err != nil || rep.Counts.New != 1 || rep.Counts.Error != 2 {
		t.Fatalf("commit: %v %+v", err, rep)
	}
	if n := count(t, o.db, `SELECT count(*) FROM customers WHERE name = '甲公司'`); n != 1 {
		t.Fatalf("customers: %d", n)
	}
}

// TestImportSheetRead: the first visible sheet is read (a hidden first
// sheet is not), the report names it and the others; when it has no
// header but another sheet has, the message names that sheet.
func TestImportSheetRead(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	products := xlsx.TableByName("products")
	head := inlineRow(1, "SKU", "产品名称")
	file := rawBook(t, "",
		rawSheet{name: "旧数据", state: "hidden", data: head + inlineRow(2, "OLD-1", "旧") + inlineRow(3, "OLD-2", "旧")},
		rawSheet{name: "产品", data: head + inlineRow(2, "NEW-1", "新")},
		rawSheet{name: "备注", data: inlineRow(1, "随便写点")},
		rawSheet{name: "lists", state: "veryHidden", data: inlineRow(1, "x")})
	_, rep, err := importer(o.db).Preview(ctx, o.boss, products, "hidden.xlsx", file, xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Total != 1 || rep.Preview[0].Cells[0] != "NEW-1" {
		t.Fatalf("read %+v", rep.Preview)
	}
	if got := rep.SheetLine(i18n.ZH); got != "读取工作表：「产品」（其他工作表未读取：旧数据（隐藏）、备注）" {
		t.Errorf("sheet line %q", got)
	}
	if got := rep.SheetLine(i18n.EN); got != "Sheet read: “产品” (other sheets, not read: 旧数据 (hidden), 备注)" {
		t.Errorf("sheet line %q", got)
	}
	// The report keeps it (older reports, without it, still parse).
	if back, err := xlsx.ParseReport(rep.JSON()); err != nil || back.Sheet != "产品" || len(back.OtherSheets) != 2 {
		t.Errorf("stored report: %v %+v", err, back)
	}
	if old, err := xlsx.ParseReport([]byte(`{"table":"products","counts":{"total":1},"errors":[],"preview":[{"row":2,"action":"new","cells":["A"]}]}`)); err != nil || old.SheetLine(i18n.ZH) != "" {
		t.Errorf("an older report: %v %+v", err, old)
	}

	cases := []struct {
		name string
		file []byte
		key  string
		want string
	}{
		{"header on the second sheet", rawBook(t, "", rawSheet{name: "Sheet1", data: inlineRow(1, "产品清单")},
			rawSheet{name: "产品", data: head + inlineRow(2, "A", "B")}),
			"import.file.header_elsewhere", "工作表「Sheet1」中没有可识别的表头，但工作表「产品」有"},
		{"empty first sheet", rawBook(t, "", rawSheet{name: "Sheet1"}, rawSheet{name: "产品", data: head + inlineRow(2, "A", "B")}),
			"import.file.header_elsewhere", "请把「产品」移到最前面"},
		{"header on a hidden sheet", rawBook(t, "", rawSheet{name: "产品", state: "hidden", data: head + inlineRow(2, "A", "B")},
			rawSheet{name: "Sheet2", data: inlineRow(1, "A", "B")}),
			"import.file.header_hidden", "隐藏的工作表「产品」有"},
		{"no header anywhere", rawBook(t, "", rawSheet{name: "Sheet1", data: inlineRow(1, "A", "B")}, rawSheet{name: "Sheet2", data: inlineRow(1, "C")}),
			"import.file.no_header", "第 1 行不是表头"},
		{"every sheet hidden", rawBook(t, "", rawSheet{name: "产品", state: "hidden", data: head + inlineRow(2, "A", "B")}),
			"import.file.no_visible_sheet", "没有可见的工作表"},
	}
	for _, c := range cases {
		_, _, err := importer(o.db).Preview(ctx, o.boss, products, c.name+".xlsx", c.file, xlsx.Options{})
		fileError(t, c.name, err, c.key, c.want)
	}

	// The template's 说明 sheet names every column, one a row: it is no
	// header. A template whose header row was deleted says so plainly.
	var buf bytes.Buffer
	if err := xlsx.WriteTemplate(&buf, products, nil, i18n.ZH); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.RemoveRow(f.GetSheetList()[0], 1); err != nil {
		t.Fatal(err)
	}
	_, _, err = importer(o.db).Preview(ctx, o.boss, products, "t.xlsx", write(t, f), xlsx.Options{})
	f.Close()
	fileError(t, "template without its header", err, "import.file.no_header", "第 1 行不是表头")
}

// TestImportPhoneNumbers: a phone that Excel stored as a number is
// imported with a warning (shown, not blocking, not counted as an error);
// one in scientific notation — as text or as a number — is an error.
func TestImportPhoneNumbers(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"姓名", "手机"})
	_ = f.SetSheetRow("Sheet1", "A2", &[]any{"王芳", 13800000001})
	_ = f.SetSheetRow("Sheet1", "A3", &[]any{"赵磊", "13900000002"})
	_ = f.SetSheetRow("Sheet1", "A4", &[]any{"刘强", "1.38E+10"})
	_ = f.SetSheetRow("Sheet1", "A5", &[]any{"陈静", 5})
	_ = f.SetSheetRow("Sheet1", "A6", &[]any{"孙丽", "2"})
	data := write(t, f)
	f.Close()
	// Row 5 as a number Excel wrote in scientific notation.
	data = rezip(t, data, func(name string, b []byte) []byte {
		if name == "xl/worksheets/sheet1.xml" {
			return bytes.Replace(b, []byte(`<c r="B5"><v>5</v>`), []byte(`<c r="B5"><v>1.3900000001E+20</v>`), 1)
		}
		return b
	})
	leads := xlsx.TableByName("leads")
	id, rep, err := importer(o.db).Preview(ctx, o.boss, leads, "phones.xlsx", data, xlsx.Options{OnError: "skip"})
	if err != nil {
		t.Fatal(err)
	}
	wantErrs := []string{"第 4 行「手机」：「1.38E+10」是科学计数法，号码的部分数字已经丢失。请把该列设为文本格式，再填写完整的号码。",
		"第 5 行「手机」：「1.3900000001E+20」是科学计数法，号码的部分数字已经丢失。请把该列设为文本格式，再填写完整的号码。"}
	if got := messages(rep); strings.Join(got, "\n") != strings.Join(wantErrs, "\n") {
		t.Fatalf("errors\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantErrs, "\n"))
	}
	if len(rep.Warnings) != 1 || rep.Warnings[0].Row != 2 || rep.Counts.Error != 2 || rep.Counts.New != 3 {
		t.Fatalf("warnings %+v, counts %+v", rep.Warnings, rep.Counts)
	}
	msg := rep.Warnings[0].Message(leads, i18n.ZH)
	if msg != "第 2 行「手机」：Excel 把「13800000001」存成了数字而不是文本，开头的 0 或 + 号可能已经丢失，请核对。建议把该列设为文本格式。" {
		t.Errorf("warning %q", msg)
	}
	if rep.Preview[0].Warn == nil || rep.Preview[0].Warn[0] != "phone" || rep.Preview[1].Warn != nil {
		t.Errorf("preview warnings %+v", rep.Preview)
	}
	var text bytes.Buffer
	_ = rep.WriteText(&text, i18n.ZH)
	if !strings.Contains(text.String(), "提醒："+msg) {
		t.Errorf("command line report %q", text.String())
	}
	if rep, err = importer(o.db).Commit(ctx, o.boss, id, xlsx.Options{OnError: "skip"}); err != nil || rep.Counts.New != 3 || len(rep.Warnings) != 1 {
		t.Fatalf("commit: %v %+v", err, rep)
	}
	if n := count(t, o.db, `SELECT count(*) FROM leads WHERE phone IN ('13800000001', '13900000002', '2')`); n != 3 {
		t.Fatalf("leads with their phones: %d", n)
	}
}

// TestImportLengthMessages: every text column's "too long" message states
// that column's own limit — a cell one character over it, and one longer
// than any column takes.
func TestImportLengthMessages(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ctx := context.Background()
	for _, tb := range xlsx.Tables {
		header := make([]any, len(tb.Columns))
		over := make([]any, len(tb.Columns))
		huge := make([]any, len(tb.Columns))
		checked := 0
		for i := range tb.Columns {
			c := &tb.Columns[i]
			header[i] = xlsx.HeaderLabel(c, i18n.ZH)
			over[i], huge[i] = "", ""
			if c.Kind == xlsx.KindText && c.Max > 0 {
				over[i] = strings.Repeat("长", c.Max+1)
				huge[i] = strings.Repeat("长", 6000)
				checked++
			}
		}
		if checked == 0 {
			continue
		}
		_, rep, err := importer(o.db).Preview(ctx, o.admin, tb, "long.xlsx", book(t, header, over, huge), xlsx.Options{})
		if err != nil {
			t.Fatalf("%s: %v", tb.Name, err)
		}
		got := map[string]string{}
		for _, e := range rep.Errors {
			if e.Key == "import.err.too_long" {
				got[strconv.Itoa(e.Row)+e.Field] = e.Message(tb, i18n.ZH)
			}
		}
		for i := range tb.Columns {
			c := &tb.Columns[i]
			if c.Kind != xlsx.KindText || c.Max == 0 {
				continue
			}
			for row, n := range map[int]int{2: c.Max + 1, 3: 6000} {
				want := fmt.Sprintf("内容过长（%d 个字符，最多 %d 个）", n, c.Max)
				if msg := got[strconv.Itoa(row)+c.Field]; !strings.Contains(msg, want) {
					t.Errorf("%s.%s row %d: %q, want %q", tb.Name, c.Field, row, msg, want)
				}
			}
		}
	}
}
