package xlsx

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html/charset"

	"crm/internal/i18n"
)

// sheet is an opened upload: the first visible worksheet of the workbook, its
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
	// present says which columns of the table the file has; fileOf is
	// the file's column (0-based) of each.
	present []bool
	fileOf  []int
	// headers are the header cells as written in the file.
	headers []string
	// scan reads the sheet's XML beside the iterator (sheetScan); cur is
	// what it found in the row the iterator stands on: cells that cannot
	// be read (formulas without a computed value, error values such as
	// #N/A) and number cells.
	scan *sheetScan
	cur  scanRow
	// num is the number of the row the iterator stands on.
	num int
	// book lists the workbook's sheets, read the one read; others are the
	// rest, as the preview names them.
	book   []bookSheet
	read   int
	others []SheetRef
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

// open checks an upload and opens its first visible worksheet for t. Every
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
	book, err := bookSheets(zr)
	if err != nil {
		return nil, err
	}
	read, err := readSheet(book)
	if err != nil {
		return nil, err
	}
	scan := startScan(zr, book[read].path, l)
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: l.UnzipSize,
		UnzipXMLSizeLimit: l.UnzipXMLSize, RawCellValue: true})
	if err != nil {
		scan.close()
		if strings.Contains(err.Error(), "unzip size") {
			return nil, fileErr("import.file.unzip_limit", mib(l.UnzipSize))
		}
		return nil, fileErr("import.file.corrupt")
	}
	s := &sheet{t: t, f: f, limits: l, scan: scan, name: book[read].name, book: book, read: read}
	for i, b := range book {
		if i != read && b.state != "veryHidden" { // veryHidden: not even Excel lists it
			s.others = append(s.others, SheetRef{Name: b.name, Hidden: !b.visible()})
		}
	}
	if f.WorkBook != nil && f.WorkBook.WorkbookPr != nil {
		s.date1904 = f.WorkBook.WorkbookPr.Date1904
	}
	if s.rows, err = f.Rows(s.name); err != nil {
		err = s.scan.wait()
		s.Close()
		if err == nil {
			err = fileErr("import.file.corrupt")
		}
		return nil, err
	}
	if err := s.readHeader(); err != nil {
		// A sheet that cannot be read says so first (its header may be
		// what could not be read).
		if e := s.scan.wait(); e != nil {
			err = e
		}
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
	s.scan.close()
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
			return nil, false, s.failed()
		}
		if err := s.scan.wait(); err != nil {
			return nil, false, err
		}
		// The iterator takes a decoder error for the end of the sheet: it
		// must have reached the last row the scan saw.
		if s.num < s.scan.lastRow {
			return nil, false, fileErr("import.file.unreadable_row", s.num+1)
		}
		return nil, false, nil
	}
	s.num++
	if s.cur, err = s.scan.row(s.num); err != nil {
		return nil, false, err
	}
	cells, err = s.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, false, s.failed()
	}
	return cells, true, nil
}

// failed is the error of an iterator that failed: the scan's, which
// says where, or that the file is damaged.
func (s *sheet) failed() error {
	if err := s.scan.wait(); err != nil {
		return err
	}
	return fileErr("import.file.corrupt")
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
		return s.elsewhere(fileErr("import.file.empty_sheet", s.name))
	}
	if blank(cells) {
		return s.findHeader(true)
	}
	s.present = make([]bool, len(s.t.Columns))
	s.fileOf = make([]int, len(s.t.Columns))
	for i := range s.fileOf {
		s.fileOf[i] = noColumn
	}
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
		s.fileOf[idx] = i
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
		return s.elsewhere(fileErr("import.file.empty_sheet", s.name))
	}
	return s.noHeader()
}

func (s *sheet) noHeader() error {
	return s.elsewhere(&FileError{Key: "import.file.no_header", Args: []any{s.t.columnList(i18n.ZH)}, ArgsEN: []any{s.t.columnList(i18n.EN)}})
}

// elsewhere turns "no header on the sheet read" into "the header is on
// sheet X" when another sheet of the workbook has the table's header:
// only the first visible sheet is read.
func (s *sheet) elsewhere(err error) error {
	for i, b := range s.book {
		if i == s.read || !b.worksheet || b.state == "veryHidden" || !s.hasHeader(b.name) {
			continue
		}
		if b.visible() {
			return fileErr("import.file.header_elsewhere", s.name, b.name, b.name)
		}
		return fileErr("import.file.header_hidden", s.name, b.name, b.name)
	}
	return err
}

// hasHeader reports whether one of the first rows of the sheet called
// name is a header of the table.
func (s *sheet) hasHeader(name string) bool {
	rows, err := s.f.Rows(name)
	if err != nil {
		return false
	}
	defer rows.Close()
	for i := 0; i < 20 && rows.Next(); i++ {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return false
		}
		if s.t.isHeader(cells) {
			return true
		}
	}
	return false
}

// isHeader reports whether cells look like a header of the table: more
// than half of them known column names, the required ones among them. (A
// 说明 sheet names the columns too, one a row, beside other text.)
func (t *Table) isHeader(cells []string) bool {
	filled := 0
	known := map[*Column]bool{}
	for _, h := range cells {
		if cleanCell(h) == "" || isErrorColumn(h) {
			continue
		}
		filled++
		if c := t.headerFor(h); c != nil {
			known[c] = true
		}
	}
	if len(known) == 0 || 2*len(known) <= filled {
		return false
	}
	for i := range t.Columns {
		if t.Columns[i].Required && !known[&t.Columns[i]] {
			return false
		}
	}
	return true
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

// cellRef names a cell as Excel does: column 0, row 5 is A5.
func cellRef(col, row int) string { return colName(col) + strconv.Itoa(row) }

func utf16(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

// bookSheet is one sheet of the workbook, as workbook.xml lists it.
type bookSheet struct {
	name  string
	state string // "", "visible", "hidden" or "veryHidden"
	path  string // its part ("" when the relationships do not say)
	// worksheet: a sheet of cells (not a chart sheet, a macro sheet …).
	worksheet bool
}

func (b bookSheet) visible() bool { return b.state == "" || b.state == "visible" }

// SheetRef names a sheet of the workbook besides the one read.
type SheetRef struct {
	Name   string `json:"name"`
	Hidden bool   `json:"hidden,omitempty"`
}

// bookSheets lists the workbook's sheets in order and finds their parts,
// as excelize does: workbook.xml names the sheets, its relationships say
// where each one is.
func bookSheets(zr *zip.Reader) ([]bookSheet, error) {
	var wb struct {
		Sheets []struct {
			Name  string `xml:"name,attr"`
			State string `xml:"state,attr"`
			ID    string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := readXMLPart(zr, "xl/workbook.xml", &wb); err != nil {
		return nil, err
	}
	if len(wb.Sheets) == 0 {
		return nil, fileErr("import.file.not_xlsx")
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := readXMLPart(zr, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return nil, err
	}
	out := make([]bookSheet, len(wb.Sheets))
	for i, sh := range wb.Sheets {
		out[i] = bookSheet{name: sh.Name, state: sh.State}
		for _, r := range rels.Rels {
			if r.ID != sh.ID {
				continue
			}
			out[i].worksheet = strings.HasSuffix(r.Type, "/worksheet")
			if strings.HasPrefix(r.Target, "/") {
				out[i].path = strings.TrimPrefix(r.Target, "/")
			} else {
				out[i].path = path.Join("xl", r.Target)
			}
		}
	}
	return out, nil
}

// readSheet chooses the sheet an import reads: the first visible
// worksheet (a hidden first sheet is not what the user sees in Excel).
func readSheet(sheets []bookSheet) (int, error) {
	for i, b := range sheets {
		if b.visible() && b.worksheet && b.path != "" {
			return i, nil
		}
	}
	for _, b := range sheets {
		if b.worksheet && b.path != "" {
			return -1, fileErr("import.file.no_visible_sheet")
		}
	}
	return -1, fileErr("import.file.corrupt")
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

// xmlScanner reads a part token by token with encoding/xml, streaming,
// and checks what RawToken leaves to Token: that every element is closed
// by its own end tag, and that the part does not end inside one. Any
// other problem — bytes that are not UTF-8, an undefined entity, a
// control character XML does not allow — is the decoder's error.
type xmlScanner struct {
	dec  *xml.Decoder
	open []xml.Name
}

func newScanner(r io.Reader, limit int64) *xmlScanner {
	dec := xml.NewDecoder(bufio.NewReaderSize(io.LimitReader(r, limit), 64<<10))
	dec.CharsetReader = charset.NewReaderLabel // as excelize reads a part declaring another encoding
	return &xmlScanner{dec: dec}
}

var errXMLStructure = errors.New("xlsx: elements not closed in order")

// next returns the next token; io.EOF at the end of a well-formed part.
func (x *xmlScanner) next() (xml.Token, error) {
	tok, err := x.dec.RawToken()
	if err == io.EOF && len(x.open) > 0 {
		return nil, errXMLStructure
	}
	if err != nil {
		return nil, err
	}
	switch el := tok.(type) {
	case xml.StartElement:
		x.open = append(x.open, el.Name)
	case xml.EndElement:
		n := len(x.open)
		if n == 0 || x.open[n-1] != el.Name {
			return nil, errXMLStructure
		}
		x.open = x.open[:n-1]
	}
	return tok, nil
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// sharedStrings is what the scan of the workbook's shared strings (the
// texts that cells refer to by number) found: how many there are, and the
// first that cannot be read (-1: none).
type sharedStrings struct {
	count, bad int
}

// scanSharedStrings decodes the shared strings once, streaming. excelize
// refuses the whole table when one string cannot be read; this finds
// which one, so that the cells using it can be named.
func scanSharedStrings(zr *zip.Reader, limit int64) (sharedStrings, error) {
	res := sharedStrings{bad: -1}
	f := zipFile(zr, "xl/sharedStrings.xml") // where excelize reads them
	if f == nil {
		return res, nil
	}
	rc, err := f.Open()
	if err != nil {
		return res, fileErr("import.file.corrupt")
	}
	defer rc.Close()
	x := newScanner(rc, limit)
	inSI := false
	for {
		tok, err := x.next()
		if err == io.EOF {
			return res, nil
		}
		if err != nil {
			res.bad = res.count
			if inSI {
				res.bad--
			}
			return res, nil
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if el.Name.Local == "si" && len(x.open) == 2 {
				inSI = true
				res.count++
			}
		case xml.EndElement:
			if el.Name.Local == "si" && len(x.open) == 1 {
				inSI = false
			}
		}
	}
}

// scanRow is what the scan found in one row: its cells that cannot be
// read (formulas) and its number cells. The scan sends one for every row
// that has either, and one now and then for rows with neither, to say how
// far it has come.
type scanRow struct {
	row     int
	bad     map[int]badCell // by 0-based column
	numbers []int           // 0-based columns, below maxTypedColumns
}

// isNumber reports whether the row's cell in col (0-based) is a number.
func (r scanRow) isNumber(col int) bool { return slices.Contains(r.numbers, col) }

// maxBadCells bounds how many unreadable cells are reported (beyond, the
// file is refused as a whole).
const maxBadCells = 10000

// maxTypedColumns bounds the columns whose number cells are reported: a
// table has far fewer.
const maxTypedColumns = 64

// scanEvery is how many rows without news the scan may pass before it
// says how far it has come.
const scanEvery = 256

// errScanStopped ends a scan whose reader has stopped reading.
var errScanStopped = errors.New("xlsx: scan stopped")

// scanSheet decodes the whole worksheet once with encoding/xml, streaming
// — beside excelize, which reads the same part (sheetScan).
//
// Why: excelize's row iterator (v2.11.1, Rows.Next and Columns) takes
// the XML decoder's error for the end of the sheet, so a row holding
// bytes that are not UTF-8, an undefined entity or a raw control
// character would end the import there, silently. Here any decoder error
// refuses the file, naming the row where reading failed (the row being
// read, or the one after the last good row). The scan also finds what
// the iterator does not tell: merged cells (refused: which row would a
// value belong to?); formula cells, read as their cached value (what
// Excel shows) — but one without a cached value, or whose value is an
// error such as #N/A, is an error of its cell; number cells (for the
// phone columns); cells whose shared string cannot be read (named by the
// first of them); and the sheet's last row, which must be the declared
// one when the sheet declares its range (<dimension ref="A1:F100">) and
// where the iterator ends (sheet.next).
//
// emit hears each row's findings, in order; it returns false when the
// reader has stopped (then the scan ends with errScanStopped).
func scanSheet(zr *zip.Reader, name string, l Limits, sst sharedStrings, emit func(scanRow) bool) (merged []string, lastRow int, err error) {
	f := zipFile(zr, name)
	if f == nil {
		return nil, 0, fileErr("import.file.corrupt")
	}
	rc, err := f.Open()
	if err != nil {
		return nil, 0, fileErr("import.file.corrupt")
	}
	defer rc.Close()
	x := newScanner(rc, l.UnzipSize)
	s := &scanState{l: l, sst: sst, emit: emit, col: -1}
	for {
		tok, err := x.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			err = s.readErr()
			return nil, s.row, err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			err = s.start(el)
		case xml.CharData:
			if s.inV && len(s.val) < 64 {
				s.val += string(el)
			}
		case xml.EndElement:
			err = s.end(el)
		}
		if err != nil {
			return nil, s.row, err
		}
	}
	switch {
	case sst.bad >= 0:
		// No cell uses it, but excelize reads the whole table.
		return nil, s.row, fileErr("import.file.bad_strings")
	case s.declared > s.row:
		return nil, s.row, fileErr("import.file.rows_missing", s.declared, s.row)
	}
	return s.merged, s.row, nil
}

// scanState is where scanSheet is in the sheet's XML.
type scanState struct {
	l      Limits
	sst    sharedStrings
	emit   func(scanRow) bool
	merged []string

	ref, typ, val                          string
	inData, inRow, inCell, hasF, hasV, inV bool
	row, col, declared, told, nbad         int
	cur                                    scanRow
}

// readErr is the error of a decoder error: the file is corrupt outside
// the rows, else the row being read (or the one after the last good row)
// is unreadable.
func (s *scanState) readErr() error {
	if !s.inData {
		return fileErr("import.file.corrupt")
	}
	if !s.inRow {
		s.row++
	}
	return fileErr("import.file.unreadable_row", s.row)
}

func (s *scanState) start(el xml.StartElement) error {
	switch el.Name.Local {
	case "dimension":
		// A range declares the rows; a single cell (A1) is what
		// writers put on an empty sheet, or when they do not know.
		if r := attr(el, "ref"); strings.Contains(r, ":") {
			if _, n, err := excelize.CellNameToCoordinates(r[strings.LastIndex(r, ":")+1:]); err == nil {
				s.declared = n
			}
		}
	case "sheetData":
		s.inData = true
	case "row":
		if s.inData {
			return s.startRow(el)
		}
	case "c":
		if s.inRow {
			return s.startCell(el)
		}
	case "f":
		s.hasF = s.inCell
	case "v":
		s.hasV, s.inV = s.inCell, s.inCell
	case "mergeCell":
		if r := attr(el, "ref"); r != "" {
			s.merged = append(s.merged, r)
		}
	}
	return nil
}

func (s *scanState) startRow(el xml.StartElement) error {
	n := s.row + 1
	if r := attr(el, "r"); r != "" {
		// Rows come in order, each once.
		k, err := strconv.Atoi(r)
		if err != nil || k <= s.row {
			return fileErr("import.file.unreadable_row", s.row+1)
		}
		n = k
	}
	if n > excelize.TotalRows {
		return fileErr("import.file.too_many_rows", s.l.MaxRows)
	}
	s.row, s.col, s.inRow = n, -1, true
	s.cur = scanRow{row: n}
	return nil
}

func (s *scanState) startCell(el xml.StartElement) error {
	s.inCell, s.hasF, s.hasV, s.typ, s.val = true, false, false, attr(el, "t"), ""
	if s.ref = attr(el, "r"); s.ref != "" {
		c, _, err := excelize.CellNameToCoordinates(s.ref)
		if err != nil {
			return fileErr("import.file.unreadable_row", s.row)
		}
		s.col = c - 1
	} else {
		s.col++
		s.ref = cellRef(s.col, s.row)
	}
	return nil
}

func (s *scanState) end(el xml.EndElement) error {
	switch el.Name.Local {
	case "sheetData":
		s.inData = false
	case "row":
		if !s.inRow {
			break
		}
		s.inRow = false
		if s.cur.bad != nil || s.cur.numbers != nil || s.row-s.told >= scanEvery {
			if !s.emit(s.cur) {
				return errScanStopped
			}
			s.told = s.row
		}
	case "v":
		s.inV = false
	case "c":
		if s.inCell {
			return s.endCell()
		}
	}
	return nil
}

// endCell notes what the cell just read holds that the iterator does not
// tell (see scanSheet).
func (s *scanState) endCell() error {
	s.inCell = false
	var bad badCell
	switch {
	case s.typ == "e":
		bad = badCell{key: "import.err.formula_error", value: s.val}
	case s.hasF && (!s.hasV || (s.val == "" && s.typ != "str" && s.typ != "inlineStr")):
		bad = badCell{key: "import.err.formula_no_value"}
	case !s.hasV:
	case s.typ == "" || s.typ == "n":
		if s.col < maxTypedColumns {
			s.cur.numbers = append(s.cur.numbers, s.col)
		}
	case s.typ == "s":
		i, err := strconv.Atoi(strings.TrimSpace(s.val))
		if err != nil || i < 0 || i >= s.sst.count || (s.sst.bad >= 0 && i >= s.sst.bad) {
			return fileErr("import.file.unreadable_text", s.row, s.ref)
		}
	}
	if bad.key != "" {
		if s.cur.bad == nil {
			s.cur.bad = map[int]badCell{}
		}
		s.cur.bad[s.col] = bad
		if s.nbad++; s.nbad > maxBadCells {
			return fileErr("import.file.formulas")
		}
	}
	return nil
}

// sheetScan runs scanSheet beside the reading, in a goroutine of its own:
// the reader waits for it only where it is ahead of it (the scan is the
// faster of the two), so that reading a file costs about one pass.
type sheetScan struct {
	rows chan scanRow // closed when the scan has ended
	stop chan struct{}
	done chan struct{}
	// Set before rows is closed.
	merged  []string
	lastRow int
	err     error
	// The reader's side: the next row heard.
	next    scanRow
	hasNext bool
	ended   bool
}

// startScan scans the shared strings, then the worksheet called name,
// in a goroutine of its own.
func startScan(zr *zip.Reader, name string, l Limits) *sheetScan {
	sc := &sheetScan{rows: make(chan scanRow, 1024), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(sc.done)
		defer close(sc.rows)
		var sst sharedStrings
		if sst, sc.err = scanSharedStrings(zr, l.UnzipSize); sc.err != nil {
			return
		}
		sc.merged, sc.lastRow, sc.err = scanSheet(zr, name, l, sst, func(r scanRow) bool {
			select {
			case sc.rows <- r:
				return true
			case <-sc.stop:
				return false
			}
		})
	}()
	return sc
}

// row returns what the scan found in row n, waiting until the scan has
// passed it; the scan's error when it failed on the way (at row n or
// further on: either way the file is refused).
func (sc *sheetScan) row(n int) (scanRow, error) {
	for {
		if sc.hasNext && sc.next.row >= n {
			if sc.next.row == n {
				return sc.next, nil
			}
			return scanRow{row: n}, nil
		}
		if sc.ended {
			return scanRow{row: n}, sc.err
		}
		r, ok := <-sc.rows
		if !ok {
			sc.ended = true
			continue
		}
		sc.next, sc.hasNext = r, true
	}
}

// wait waits for the end of the scan and returns its verdict on the
// whole sheet (an unreadable row, merged cells).
func (sc *sheetScan) wait() error {
	for range sc.rows {
	}
	sc.ended = true
	if sc.err != nil {
		return sc.err
	}
	if len(sc.merged) > 0 {
		shown := sc.merged
		if len(shown) > 5 {
			shown = shown[:5]
		}
		return fileErr("import.file.merged", strings.Join(shown, ", "), len(sc.merged))
	}
	return nil
}

// close stops the scan and waits for its goroutine.
func (sc *sheetScan) close() {
	select {
	case <-sc.stop:
	default:
		close(sc.stop)
	}
	<-sc.done
}
