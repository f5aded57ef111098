package xlsx

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"crm/internal/crm"
	"crm/internal/i18n"
)

// Sheets the CRM writes besides the template: the error report of an
// import and the initial passwords of imported employees. Both go through
// excelize's StreamWriter, row by row.

// formulaLike reports whether a spreadsheet could take the text for a
// formula when someone edits the cell (=, +, -, @, tab, CR at the start).
// Such cells are written as text cells with the text format ("@"), so
// that their value stays exactly the text and never runs.
func formulaLike(s string) bool {
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}

// cell is a value for StreamWriter.SetRow: text that looks like a formula
// gets the text style.
func cell(v string, textStyle int) any {
	if formulaLike(v) {
		return excelize.Cell{Value: v, StyleID: textStyle}
	}
	return v
}

// PasswordSheet writes the initial passwords of imported employees:
// username, name, password — for the importer to hand on, once.
func PasswordSheet(list []Password) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sh = "Sheet1"
	sw, err := f.NewStreamWriter(sh)
	if err != nil {
		return nil, err
	}
	st, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	if err := sw.SetColWidth(1, 3, 20); err != nil {
		return nil, err
	}
	head := []any{
		excelize.Cell{Value: i18n.T(i18n.ZH, "import.col.username") + " / " + i18n.T(i18n.EN, "import.col.username"), StyleID: st.header},
		excelize.Cell{Value: i18n.T(i18n.ZH, "import.col.person_name") + " / " + i18n.T(i18n.EN, "import.col.person_name"), StyleID: st.header},
		excelize.Cell{Value: i18n.T(i18n.ZH, "field.initial_password") + " / " + i18n.T(i18n.EN, "field.initial_password"), StyleID: st.header},
	}
	if err := sw.SetRow("A1", head); err != nil {
		return nil, err
	}
	for i, p := range list {
		ref := "A" + strconv.Itoa(i+2)
		if err := sw.SetRow(ref, []any{cell(p.Username, st.text), cell(p.Name, st.text), excelize.Cell{Value: p.Password, StyleID: st.text}}); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteErrorReport writes a job's uploaded sheet back with an 错误原因
// column holding each row's problems in l: the user fixes the rows and
// uploads the same file again. Every row keeps its number (blank rows
// too), so the report matches the messages "第N行". Dates are written as
// days, whatever format the original cell had. ENOTFOUND unless a may view
// the job; ErrBusy when every import slot is taken.
func (im *Importer) WriteErrorReport(ctx context.Context, w io.Writer, a crm.Actor, jobID int64, l i18n.Locale) error {
	job, err := im.DB.ImportJobByID(ctx, a, jobID)
	if err != nil {
		return err
	}
	t := TableByName(job.Table)
	if t == nil {
		return crm.ErrNotFound
	}
	rep, err := ParseReport(job.Report)
	if err != nil {
		return err
	}
	file, err := im.DB.ImportJobFile(ctx, a, jobID)
	if err != nil {
		return err
	}
	release, err := acquire()
	if err != nil {
		return err
	}
	defer release()
	sh, err := open(file, t, im.Limits)
	if err != nil {
		return err
	}
	defer sh.Close()

	byRow := map[int][]RowError{}
	for _, e := range rep.Errors {
		byRow[e.Row] = append(byRow[e.Row], e)
	}
	sep := "；"
	if l == i18n.EN {
		sep = "; "
	}
	reason := func(num int) string {
		var parts []string
		for _, e := range byRow[num] {
			if col := e.Column(t, l); col != "" {
				parts = append(parts, i18n.T(l, "import.error_in_column", col, e.What(l)))
			} else {
				parts = append(parts, e.What(l))
			}
		}
		return strings.Join(parts, sep)
	}

	f := excelize.NewFile()
	defer f.Close()
	name := sheetName(sh.name)
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	// The columns of the upload, less the 错误原因 column of an earlier
	// report (it is written afresh, last).
	var keep []int
	for i := range sh.headers {
		if sh.fileCol[i] != errorColumn {
			keep = append(keep, i)
		}
	}
	last := len(keep) + 1
	if len(keep) > 0 {
		if err := sw.SetColWidth(1, len(keep), 16); err != nil {
			return err
		}
	}
	if err := sw.SetColWidth(last, last, 60); err != nil {
		return err
	}
	head := make([]any, 0, last)
	for _, i := range keep {
		style := st.header
		if sh.fileCol[i] >= 0 && t.Columns[sh.fileCol[i]].Required {
			style = st.required
		}
		head = append(head, excelize.Cell{Value: sh.headers[i], StyleID: style})
	}
	head = append(head, excelize.Cell{Value: i18n.T(l, "import.error_column"), StyleID: st.required})
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	for {
		cells, ok, err := sh.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		out := make([]any, last)
		for j, i := range keep {
			if i >= len(cells) {
				break
			}
			v := cells[i]
			if v == "" {
				continue
			}
			if sh.fileCol[i] >= 0 {
				v = displayCell(&t.Columns[sh.fileCol[i]], v, sh.date1904)
			}
			out[j] = cell(v, st.text)
		}
		if msg := reason(sh.num); msg != "" {
			out[last-1] = excelize.Cell{Value: msg, StyleID: st.errCell}
		}
		ref, _ := excelize.CoordinatesToCellName(1, sh.num)
		if err := sw.SetRow(ref, out); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

// displayCell turns a raw cell back into what its column's reader takes:
// an Excel date serial of a date column becomes 2026-01-15.
func displayCell(c *Column, raw string, date1904 bool) string {
	switch c.Kind {
	case KindDate:
		if t, ok := excelSerial(raw, date1904); ok {
			return t.Format("2006-01-02")
		}
	case KindDateTime:
		if t, ok := excelSerial(raw, date1904); ok {
			if t.Hour() == 0 && t.Minute() == 0 {
				return t.Format("2006-01-02")
			}
			return t.Format("2006-01-02 15:04")
		}
	}
	return raw
}
