package xlsx

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strings"

	"github.com/xuri/excelize/v2"

	"crm/internal/i18n"
)

// sheet is an opened upload: the first worksheet of the workbook, its
// header mapped onto a table's columns, and an iterator positioned on the
// first row after the header.
type sheet struct {
	t        *Table
	f        *excelize.File
	rows     *excelize.Rows
	name     string
	date1904 bool
	limits   Limits
	// fileCol maps a column of the file (0-based) to a column of the
	// table (noColumn: a column without a header; errorColumn: the 错误原因
	// column of an error report, uploaded again after fixing).
	fileCol []int
	// present says which columns of the table the file has.
	present []bool
	// headers are the header cells as written in the file.
	headers []string
	// bad marks cells that cannot be read, by row and column (0-based):
	// formulas without a computed value, error values (#N/A, #REF!, …).
	bad map[int]map[int]badCell
	// num is the number of the row the iterator stands on.
	num int
}

type badCell struct {
	key   string // catalog key of the problem
	value string // the error value, when there is one
}

// Columns of the file that are no column of the table.
const (
	noColumn    = -1
	errorColumn = -2
)

// isErrorColumn reports whether a header is the 错误原因 column that the
// error report adds: a fixed report can be uploaded as it is.
func isErrorColumn(h string) bool {
	n := normHeader(h)
	return n != "" && (n == normHeader(i18n.T(i18n.ZH, "import.error_column")) || n == normHeader(i18n.T(i18n.EN, "import.error_column")))
}

// OLE compound files: encrypted (password-protected) xlsx files and the
// old binary .xls format both are one.
var oleMagic = []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}

// open checks an upload and opens its first worksheet for t. Every
// problem with the file as a whole is a *FileError.
func open(data []byte, t *Table, l Limits) (*sheet, error) {
	l = l.norm()
	switch {
	case int64(len(data)) > l.MaxFileBytes:
		return nil, fileErr("import.file.too_large", l.MaxFileBytes>>20)
	case len(data) == 0:
		return nil, fileErr("import.file.empty_file")
	case bytes.HasPrefix(data, oleMagic):
		// Office writes an encrypted workbook as an OLE file holding an
		// EncryptionInfo stream (its name in UTF-16).
		if bytes.Contains(data, utf16("EncryptionInfo")) {
			return nil, fileErr("import.file.encrypted")
		}
		return nil, fileErr("import.file.xls")
	case !bytes.HasPrefix(data, []byte("PK")):
		return nil, fileErr("import.file.not_xlsx")
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fileErr("import.file.corrupt")
	}
	// A zip bomb is refused from the directory, before anything is
	// unpacked (archive/zip also refuses entries that unpack to more than
	// they declare).
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > uint64(l.UnzipSize) {
			return nil, fileErr("import.file.unzip_limit", mib(l.UnzipSize))
		}
	}
	sheetPath, err := firstSheetPath(zr)
	if err != nil {
		return nil, err
	}
	scan, err := scanSheet(zr, sheetPath, l.UnzipSize)
	if err != nil {
		return nil, err
	}
	if len(scan.merged) > 0 {
		shown := scan.merged
		if len(shown) > 5 {
			shown = shown[:5]
		}
		return nil, fileErr("import.file.merged", strings.Join(shown, ", "), len(scan.merged))
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: l.UnzipSize,
		UnzipXMLSizeLimit: l.UnzipXMLSize, RawCellValue: true})
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") {
			return nil, fileErr("import.file.unzip_limit", mib(l.UnzipSize))
		}
		return nil, fileErr("import.file.corrupt")
	}
	s := &sheet{t: t, f: f, limits: l, bad: scan.bad}
	list := f.GetSheetList()
	if len(list) == 0 {
		f.Close()
		return nil, fileErr("import.file.not_xlsx")
	}
	s.name = list[0]
	if f.WorkBook != nil && f.WorkBook.WorkbookPr != nil {
		s.date1904 = f.WorkBook.WorkbookPr.Date1904
	}
	if s.rows, err = f.Rows(s.name); err != nil {
		f.Close()
		return nil, fileErr("import.file.corrupt")
	}
	if err := s.readHeader(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the workbook and its temporary files.
func (s *sheet) Close() {
	if s.rows != nil {
		_ = s.rows.Close()
	}
	_ = s.f.Close()
}

// next moves to the next row and returns its cells (raw values, one per
// column of the file; a short slice when the row ends early); ok is false
// at the end of the sheet.
func (s *sheet) next() (cells []string, ok bool, err error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			if errors.Is(err, excelize.ErrMaxRows) {
				return nil, false, fileErr("import.file.too_many_rows", s.limits.MaxRows)
			}
			return nil, false, fileErr("import.file.corrupt")
		}
		return nil, false, nil
	}
	s.num++
	cells, err = s.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, false, fileErr("import.file.corrupt")
	}
	return cells, true, nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if cleanCell(c) != "" {
			return false
		}
	}
	return true
}

// readHeader reads row 1 and maps its cells onto the table's columns. The
// header must be row 1; every header must name a column of the table; the
// required columns must be there.
func (s *sheet) readHeader() error {
	cells, ok, err := s.next()
	if err != nil {
		return err
	}
	if !ok {
		return fileErr("import.file.empty_sheet", s.name)
	}
	if blank(cells) {
		return s.findHeader(true)
	}
	s.present = make([]bool, len(s.t.Columns))
	s.fileCol = make([]int, len(cells))
	var unknown, unknownEN []string
	seen := map[*Column]bool{}
	found := 0
	for i, h := range cells {
		s.fileCol[i] = noColumn
		s.headers = append(s.headers, cleanCell(h))
		if cleanCell(h) == "" {
			continue
		}
		if isErrorColumn(h) {
			s.fileCol[i] = errorColumn
			continue
		}
		c := s.t.headerFor(h)
		if c == nil {
			if len(unknown) < 10 { // enough to say which; a sheet may have thousands
				ref := colName(i)
				unknown = append(unknown, "「"+cleanCell(h)+"」（"+ref+"）")
				unknownEN = append(unknownEN, "“"+cleanCell(h)+"” ("+ref+")")
			}
			continue
		}
		if seen[c] {
			return &FileError{Key: "import.file.duplicate_column", Args: []any{HeaderLabel(c, i18n.ZH)}, ArgsEN: []any{HeaderLabel(c, i18n.EN)}}
		}
		seen[c] = true
		found++
		idx := s.t.index[c.Field]
		s.fileCol[i] = idx
		s.present[idx] = true
	}
	if found == 0 {
		return s.findHeader(false)
	}
	if len(unknown) > 0 {
		return &FileError{Key: "import.file.unknown_columns",
			Args:   []any{strings.Join(unknown, "、"), s.t.columnList(i18n.ZH)},
			ArgsEN: []any{strings.Join(unknownEN, ", "), s.t.columnList(i18n.EN)}}
	}
	var missing, missingEN []string
	for i := range s.t.Columns {
		c := &s.t.Columns[i]
		if c.Required && !s.present[i] {
			missing = append(missing, HeaderLabel(c, i18n.ZH))
			missingEN = append(missingEN, HeaderLabel(c, i18n.EN))
		}
	}
	if len(missing) > 0 {
		return &FileError{Key: "import.file.missing_columns", Args: []any{strings.Join(missing, "、")},
			ArgsEN: []any{strings.Join(missingEN, ", ")}}
	}
	return nil
}

// findHeader looks at the next rows for the header that row 1 should have
// held (a title row or empty rows above it), to say where it is.
func (s *sheet) findHeader(empty bool) error {
	for i := 0; i < 20; i++ {
		cells, ok, err := s.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		empty = empty && blank(cells)
		for _, c := range cells {
			if s.t.headerFor(c) != nil {
				return fileErr("import.file.header_row", s.num)
			}
		}
	}
	if empty {
		return fileErr("import.file.empty_sheet", s.name)
	}
	return s.noHeader()
}

func (s *sheet) noHeader() error {
	return &FileError{Key: "import.file.no_header", Args: []any{s.t.columnList(i18n.ZH)}, ArgsEN: []any{s.t.columnList(i18n.EN)}}
}

// columnList names the table's columns for a message.
func (t *Table) columnList(l i18n.Locale) string {
	var names []string
	for i := range t.Columns {
		names = append(names, HeaderLabel(&t.Columns[i], l))
	}
	if l == i18n.EN {
		return strings.Join(names, ", ")
	}
	return strings.Join(names, "、")
}

// colName is the letter of a 0-based column (A, B, …, AA).
func colName(i int) string {
	n, _ := excelize.ColumnNumberToName(i + 1)
	return n
}

func utf16(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

// firstSheetPath finds the part of the workbook's first worksheet, as
// excelize does: workbook.xml names the sheets in order, its relationships
// say where each one is.
func firstSheetPath(zr *zip.Reader) (string, error) {
	var wb struct {
		Sheets []struct {
			ID string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := readXMLPart(zr, "xl/workbook.xml", &wb); err != nil {
		return "", err
	}
	if len(wb.Sheets) == 0 {
		return "", fileErr("import.file.not_xlsx")
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := readXMLPart(zr, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return "", err
	}
	for _, r := range rels.Rels {
		if r.ID == wb.Sheets[0].ID {
			if strings.HasPrefix(r.Target, "/") {
				return strings.TrimPrefix(r.Target, "/"), nil
			}
			return path.Join("xl", r.Target), nil
		}
	}
	return "", fileErr("import.file.corrupt")
}

// zipFile finds a part by name (case-insensitively, as Office does).
func zipFile(zr *zip.Reader, name string) *zip.File {
	for _, f := range zr.File {
		if strings.EqualFold(strings.ReplaceAll(f.Name, `\`, "/"), name) {
			return f
		}
	}
	return nil
}

// readXMLPart decodes a small part (the workbook, its relationships).
func readXMLPart(zr *zip.Reader, name string, v any) error {
	f := zipFile(zr, name)
	if f == nil {
		return fileErr("import.file.not_xlsx")
	}
	if f.UncompressedSize64 > 16<<20 {
		return fileErr("import.file.corrupt")
	}
	rc, err := f.Open()
	if err != nil {
		return fileErr("import.file.corrupt")
	}
	defer rc.Close()
	if err := xml.NewDecoder(io.LimitReader(rc, 16<<20)).Decode(v); err != nil {
		return fileErr("import.file.corrupt")
	}
	return nil
}

// scanResult is what excelize's row iterator does not tell: merged cells,
// and formulas that cannot be read.
type scanResult struct {
	merged []string
	bad    map[int]map[int]badCell
	nbad   int
}

// maxBadCells bounds how many unreadable cells are remembered (the rest
// are reported as one file error).
const maxBadCells = 10000

// scanSheet streams the worksheet's XML once for what the row iterator
// does not report: merged cells (refused: which row would a value belong
// to?) and formula cells. A formula is read as its cached value — what
// Excel shows — but one without a cached value (written by a program and
// never calculated) or whose value is an error (#N/A) cannot be read, and
// its cell is an error. A quick byte search first: a sheet with none of
// these (the usual case) is not parsed twice.
func scanSheet(zr *zip.Reader, name string, limit int64) (scanResult, error) {
	res := scanResult{bad: map[int]map[int]badCell{}}
	f := zipFile(zr, name)
	if f == nil {
		return res, fileErr("import.file.corrupt")
	}
	found, err := sheetMayHave(f, limit)
	if err != nil || !found {
		return res, err
	}
	rc, err := f.Open()
	if err != nil {
		return res, fileErr("import.file.corrupt")
	}
	defer rc.Close()
	dec := xml.NewDecoder(bufio.NewReaderSize(io.LimitReader(rc, limit), 64<<10))
	var ref, typ, val string
	var inCell, hasF, hasV, inV bool
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return res, fileErr("import.file.corrupt")
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "c":
				inCell, hasF, hasV, ref, typ, val = true, false, false, "", "", ""
				for _, a := range el.Attr {
					switch a.Name.Local {
					case "r":
						ref = a.Value
					case "t":
						typ = a.Value
					}
				}
			case "f":
				hasF = inCell
			case "v":
				hasV, inV = inCell, inCell
			case "mergeCell":
				for _, a := range el.Attr {
					if a.Name.Local == "ref" {
						res.merged = append(res.merged, a.Value)
					}
				}
			}
		case xml.CharData:
			if inV && len(val) < 64 {
				val += string(el)
			}
		case xml.EndElement:
			switch el.Name.Local {
			case "v":
				inV = false
			case "c":
				var bad badCell
				switch {
				case typ == "e":
					bad = badCell{key: "import.err.formula_error", value: val}
				case hasF && (!hasV || (val == "" && typ != "str" && typ != "inlineStr")):
					bad = badCell{key: "import.err.formula_no_value"}
				}
				if bad.key != "" {
					col, row, err := excelize.CellNameToCoordinates(ref)
					if err != nil {
						return res, fileErr("import.file.corrupt")
					}
					if res.bad[row] == nil {
						res.bad[row] = map[int]badCell{}
					}
					res.bad[row][col-1] = bad
					if res.nbad++; res.nbad > maxBadCells {
						return res, fileErr("import.file.formulas")
					}
				}
				inCell = false
			}
		}
	}
	return res, nil
}

// sheetMayHave reports whether the worksheet's XML contains a formula, a
// merged cell or an error value at all.
func sheetMayHave(f *zip.File, limit int64) (bool, error) {
	rc, err := f.Open()
	if err != nil {
		return false, fileErr("import.file.corrupt")
	}
	defer rc.Close()
	needles := [][]byte{[]byte("<f>"), []byte("<f "), []byte("<f/>"), []byte(":f>"), []byte(":f "),
		[]byte("mergeCell "), []byte(`t="e"`)}
	const keep = 16
	buf := make([]byte, 64<<10)
	carry := 0
	r := io.LimitReader(rc, limit)
	for {
		n, err := r.Read(buf[carry:])
		chunk := buf[:carry+n]
		for _, nd := range needles {
			if bytes.Contains(chunk, nd) {
				return true, nil
			}
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, fileErr("import.file.corrupt")
		}
		if len(chunk) > keep {
			carry = copy(buf, chunk[len(chunk)-keep:])
		} else {
			carry = len(chunk)
		}
	}
}
