package xlsx

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"crm/internal/crm"
	"crm/internal/i18n"
)

// listsSheet is the (very hidden) sheet holding the allowed values of the
// drop-down columns: a list longer than 255 characters cannot be written
// into the validation itself.
const listsSheet = "lists"

// templateRows is how far down the drop-downs and column formats reach.
const templateRows = 1048576

// exampleMark starts the first cell of the template's example rows.
func exampleMark(l i18n.Locale) string {
	if l == i18n.EN {
		return "[Example] "
	}
	return "【示例】"
}

// WriteTemplate writes the import template of t in l: the data sheet
// (header in row 1 with the required columns marked *, drop-downs with
// today's allowed values on option, choice, role and yes/no columns, text
// and date formats on the columns, two example rows that the preview
// recognises and leaves out), then the 说明 sheet describing every column.
// opts are the value lists as they are now.
func WriteTemplate(w io.Writer, t *Table, opts map[crm.OptionKind][]crm.Option, l i18n.Locale) error {
	f := excelize.NewFile()
	defer f.Close()
	data := sheetName(i18n.T(l, t.Label))
	if err := f.SetSheetName("Sheet1", data); err != nil {
		return err
	}
	help := i18n.T(l, "import.help.sheet")
	if _, err := f.NewSheet(help); err != nil {
		return err
	}
	if _, err := f.NewSheet(listsSheet); err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	// Header, column widths and formats, drop-downs.
	listCol := 0
	for i := range t.Columns {
		c := &t.Columns[i]
		col := colName(i)
		head := HeaderLabel(c, l)
		style := st.header
		if c.Required {
			head += "*"
			style = st.required
		}
		if err := f.SetCellValue(data, col+"1", head); err != nil {
			return err
		}
		if err := f.SetCellStyle(data, col+"1", col+"1", style); err != nil {
			return err
		}
		width := 16.0
		if c.Kind == KindText && c.Max >= 500 {
			width = 36
		} else if c.Kind == KindRelation || c.Kind == KindDateTime {
			width = 20
		}
		if err := f.SetColWidth(data, col, col, width); err != nil {
			return err
		}
		if s := st.forKind(c.Kind); s != 0 {
			if err := f.SetColStyle(data, col, s); err != nil {
				return err
			}
			if err := f.SetCellStyle(data, col+"1", col+"1", style); err != nil {
				return err
			}
		}
		values := allowedValues(c, opts, l)
		if len(values) == 0 {
			continue
		}
		lc := colName(listCol)
		listCol++
		for j, v := range values {
			if err := f.SetCellValue(listsSheet, fmt.Sprintf("%s%d", lc, j+1), v); err != nil {
				return err
			}
		}
		dv := excelize.NewDataValidation(true)
		dv.SetSqref(fmt.Sprintf("%s2:%s%d", col, col, templateRows))
		dv.SetSqrefDropList(fmt.Sprintf("'%s'!$%s$1:$%s$%d", listsSheet, lc, lc, len(values)))
		dv.SetError(excelize.DataValidationErrorStyleStop, i18n.T(l, "import.help.dv_title"), i18n.T(l, "import.help.dv_message"))
		if err := f.AddDataValidation(data, dv); err != nil {
			return err
		}
	}
	// Two example rows.
	for n := 0; n < 2; n++ {
		r := n + 2
		for i := range t.Columns {
			v := exampleValue(&t.Columns[i], n, opts, l)
			if i == 0 {
				v = exampleMark(l) + v
			}
			cell := fmt.Sprintf("%s%d", colName(i), r)
			if err := f.SetCellStr(data, cell, v); err != nil {
				return err
			}
			if err := f.SetCellStyle(data, cell, cell, st.example); err != nil {
				return err
			}
		}
	}
	if err := f.SetPanes(data, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := writeHelp(f, help, t, opts, l, st); err != nil {
		return err
	}
	if err := f.SetSheetVisible(listsSheet, false, true); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}

// sheetName keeps a label within Excel's rules for sheet names.
func sheetName(s string) string {
	s = strings.NewReplacer(":", " ", "\\", " ", "/", " ", "?", " ", "*", " ", "[", "(", "]", ")").Replace(s)
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	return s
}

// styles are the cell styles of the sheets the CRM writes.
type styles struct {
	header, required, example, title, text, date, dateTime, wrap, errCell int
}

func newStyles(f *excelize.File) (styles, error) {
	var st styles
	var err error
	mk := func(s *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(s)
		return id
	}
	fill := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EEF7"}}
	textFmt, dateFmt, timeFmt := "@", "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
	st.header = mk(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill, CustomNumFmt: &textFmt})
	st.required = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "B42318"}, Fill: fill, CustomNumFmt: &textFmt})
	st.example = mk(&excelize.Style{Font: &excelize.Font{Italic: true, Color: "808080"}, CustomNumFmt: &textFmt})
	st.title = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	st.text = mk(&excelize.Style{CustomNumFmt: &textFmt})
	st.date = mk(&excelize.Style{CustomNumFmt: &dateFmt})
	st.dateTime = mk(&excelize.Style{CustomNumFmt: &timeFmt})
	st.wrap = mk(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	st.errCell = mk(&excelize.Style{Font: &excelize.Font{Color: "B42318"}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	return st, err
}

// forKind is the column format that keeps what people type as it is: text
// stays text (a phone's leading 0, an SKU), days are days.
func (st styles) forKind(k Kind) int {
	switch k {
	case KindText, KindRelation, KindOption, KindChoice, KindRole, KindBool:
		return st.text
	case KindDate:
		return st.date
	case KindDateTime:
		return st.dateTime
	}
	return 0
}

// allowedValues are the values a drop-down offers, in l.
func allowedValues(c *Column, opts map[crm.OptionKind][]crm.Option, l i18n.Locale) []string {
	var out []string
	switch c.Kind {
	case KindOption:
		for _, o := range opts[c.Option] {
			out = append(out, o.Label(l == i18n.EN))
		}
	case KindChoice:
		for _, ch := range c.Choices {
			out = append(out, i18n.T(l, ch.Label))
		}
	case KindRole:
		for _, ch := range roleChoices() {
			out = append(out, i18n.T(l, ch.Label))
		}
	case KindBool:
		out = []string{i18n.T(l, "import.bool.yes"), i18n.T(l, "import.bool.no")}
	}
	return out
}

// exampleValue is the cell of example row n (0 or 1) for column c.
func exampleValue(c *Column, n int, opts map[crm.OptionKind][]crm.Option, l i18n.Locale) string {
	if c.Group && n > 0 && c.Example[n] == "" {
		return "" // the second line of the example order
	}
	switch c.Kind {
	case KindOption, KindChoice, KindBool:
		vals := allowedValues(c, opts, l)
		if len(vals) == 0 {
			return ""
		}
		return vals[n%len(vals)]
	case KindRole:
		return i18n.T(l, "role."+string([]crm.Role{crm.RoleSalesRep, crm.RoleSalesManager}[n]))
	}
	return c.Example[n]
}

// kindText describes what a column takes, for the 说明 sheet.
func kindText(c *Column, l i18n.Locale) string {
	switch c.Kind {
	case KindText:
		switch c.Format {
		case "username":
			return i18n.T(l, "import.kind.username")
		case "email":
			return i18n.T(l, "import.kind.email")
		}
		return i18n.T(l, "import.kind.text", c.Max)
	case KindNumber:
		switch c.Format {
		case "discount":
			return i18n.T(l, "import.kind.discount")
		case "quantity":
			return i18n.T(l, "import.kind.quantity")
		}
		return i18n.T(l, "import.kind.number")
	case KindMoney:
		return i18n.T(l, "import.kind.money")
	case KindDate:
		return i18n.T(l, "import.kind.date")
	case KindDateTime:
		return i18n.T(l, "import.kind.datetime")
	case KindOption:
		return i18n.T(l, "import.kind.option")
	case KindChoice, KindRole, KindBool:
		return i18n.T(l, "import.kind.choice")
	case KindRelation:
		return i18n.T(l, "import.kind.rel."+string(c.Rel))
	}
	return ""
}

// writeHelp fills the 说明 sheet: the rules of every import, the table's
// own, then one row per column (name, required, kind and format, allowed
// values, remarks).
func writeHelp(f *excelize.File, sh string, t *Table, opts map[crm.OptionKind][]crm.Option, l i18n.Locale, st styles) error {
	r := 1
	put := func(col, v string, style int) error {
		cell := fmt.Sprintf("%s%d", col, r)
		if err := f.SetCellStr(sh, cell, v); err != nil {
			return err
		}
		if style != 0 {
			return f.SetCellStyle(sh, cell, cell, style)
		}
		return nil
	}
	if err := put("A", i18n.T(l, "import.help.title", i18n.T(l, t.Label)), st.title); err != nil {
		return err
	}
	r += 2
	rules := []string{i18n.T(l, "import.help.rule_header"), i18n.T(l, "import.help.rule_required"),
		i18n.T(l, "import.help.rule_examples", strings.TrimSpace(exampleMark(l))), i18n.T(l, "import.help.rule_dates"),
		i18n.T(l, "import.help.rule_cells"), i18n.T(l, "import.help.rule_preview"), i18n.T(l, t.Note)}
	for i, rule := range rules {
		if err := put("A", fmt.Sprintf("%d. %s", i+1, rule), 0); err != nil {
			return err
		}
		r++
	}
	r++
	heads := []string{"import.help.col_name", "import.help.col_required", "import.help.col_kind", "import.help.col_values", "import.help.col_note"}
	for i, h := range heads {
		if err := put(colName(i), i18n.T(l, h), st.header); err != nil {
			return err
		}
	}
	r++
	yes, no := i18n.T(l, "import.bool.yes"), i18n.T(l, "import.bool.no")
	sep := "、"
	if l == i18n.EN {
		sep = ", "
	}
	for i := range t.Columns {
		c := &t.Columns[i]
		req := no
		if c.Required {
			req = yes
		}
		note := ""
		if c.Note != "" {
			note = i18n.T(l, c.Note)
		}
		if c.Default != "" {
			def := c.Default
			for _, ch := range c.Choices {
				if ch.Value == c.Default {
					def = i18n.T(l, ch.Label)
				}
			}
			if c.Kind == KindBool {
				def = yes
			}
			note = strings.TrimSpace(note + " " + i18n.T(l, "import.help.default", def))
		}
		cells := []string{HeaderLabel(c, l), req, kindText(c, l), strings.Join(allowedValues(c, opts, l), sep), note}
		for j, v := range cells {
			if err := put(colName(j), v, st.wrap); err != nil {
				return err
			}
		}
		r++
	}
	for col, width := range map[string]float64{"A": 22, "B": 8, "C": 36, "D": 36, "E": 48} {
		if err := f.SetColWidth(sh, col, col, width); err != nil {
			return err
		}
	}
	return nil
}
