package xlsx

import (
	"archive/zip"
	"bufio"
	"context"
	"errors"
	"io"
	"runtime"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/postgres"
)

// Exports (SPEC §6: every list exports what it shows). A list's export
// holds exactly the rows of its current filter and scope — every page —
// in the columns of the list's import template when it has one, written
// the way the import reads them back, so that an export can be edited and
// imported again as an update: days as 2026-01-15, moments as 2026-01-15
// 14:30, amounts as plain numbers, options and fixed values by their name
// in the user's language (the import takes either language), relations by
// their import key (a username, a department's, campaign's or customer's
// name). Lists without an import write their own columns the same way.
//
// Memory stays flat as rows grow: the rows come from a cursor a batch at a
// time (postgres.DB.Export), go through excelize's StreamWriter (which
// moves the sheet to a temporary file beyond 16 MiB), and the workbook is
// zipped straight onto the response (ExportFile.WriteTo) instead of into a
// buffer, as excelize's File.Write would. Text that a spreadsheet could
// take for a formula (=, +, -, @, tab or CR first) is written as a text
// cell with the text format, so that it never runs, and reads back the
// same.

// DefaultExportMaxRows is the most rows one export writes (rows of the
// sheet: an order's lines count one each). An export of more is refused
// with a message asking for a narrower filter.
const DefaultExportMaxRows = 100_000

// Export is how one list is written: the sheet's label and columns.
type Export struct {
	Name  string // the list (leads, …): GET /leads/export.xlsx
	Label string // catalog key of the sheet's and the file's name
	// Table is the list's import description, when it has one: the sheet's
	// columns are then the template's, header for header.
	Table *Table
	// Columns are the list's own columns, for a list without an import.
	Columns []Column
}

// Cols returns the sheet's columns: the import template's when the list
// has one, its own otherwise.
func (e *Export) Cols() []Column {
	if e.Table != nil {
		return e.Table.Columns
	}
	return e.Columns
}

// ExportByName returns the export of the list called name (nil when there
// is none). A list whose import description exists (TableByName) exports
// the template's columns, so that an import added later (orders,
// payments) changes its export to match.
func ExportByName(name string) *Export {
	own, ok := listColumns[name]
	if !ok {
		return nil
	}
	e := &Export{Name: name, Label: own.label, Table: TableByName(name)}
	if e.Table == nil {
		e.Columns = own.cols
	}
	return e
}

// ExportNames lists the lists that export, in the order of the navigation.
var ExportNames = []string{"campaigns", "leads", "customers", "contacts", "follow-ups", "opportunities",
	"products", "quotes", "orders", "payments", "invoices", "employees"}

// listExport is a list's label and its own columns (used when it has no
// import description).
type listExport struct {
	label string
	cols  []Column
}

func textCol(field, label string) Column { return Column{Field: field, Label: label, Kind: KindText} }

var (
	colCustomer  = textCol("customer", "export.col.customer_name")
	colOwner     = Column{Field: "owner", Label: "import.col.owner", Kind: KindRelation}
	colNotes     = textCol("notes", "import.col.notes")
	colCreatedAt = Column{Field: "created_at", Label: "export.col.created_at", Kind: KindDateTime}
)

func paymentMethodChoices() []Choice {
	out := make([]Choice, len(postgres.PaymentMethods))
	for i, m := range postgres.PaymentMethods {
		out[i] = Choice{Value: m, Label: "payment.method." + m}
	}
	return out
}

func quoteStatusChoices() []Choice {
	out := make([]Choice, len(crm.QuoteStatuses))
	for i, s := range crm.QuoteStatuses {
		out[i] = Choice{Value: string(s), Label: "quote.status." + string(s)}
	}
	return out
}

func orderStatusChoices() []Choice {
	out := make([]Choice, len(crm.OrderStatuses))
	for i, s := range crm.OrderStatuses {
		out[i] = Choice{Value: string(s), Label: "order.status." + string(s)}
	}
	return out
}

// listColumns are every exporting list's label and own columns. The lists
// with an import description use its columns instead (ExportByName); the
// columns here then only matter if that description goes away.
var listColumns = map[string]listExport{
	"campaigns":     {label: "nav.campaigns"},
	"leads":         {label: "nav.leads"},
	"customers":     {label: "nav.customers"},
	"contacts":      {label: "nav.contacts"},
	"follow-ups":    {label: "nav.follow_ups"},
	"opportunities": {label: "nav.opportunities"},
	"products":      {label: "nav.products"},
	"employees":     {label: "nav.employees"},
	"quotes": {label: "nav.quotes", cols: []Column{
		textCol("number", "export.col.quote_number"), colCustomer,
		textCol("opportunity", "export.col.opportunity"),
		{Field: "quote_date", Label: "export.col.quote_date", Kind: KindDate},
		{Field: "valid_until", Label: "export.col.valid_until", Kind: KindDate},
		{Field: "status", Label: "export.col.quote_status", Kind: KindChoice, Choices: quoteStatusChoices()},
		{Field: "total", Label: "export.col.total", Kind: KindMoney},
		textCol("order", "export.col.order_number"), colNotes, colOwner, colCreatedAt,
	}},
	// One row per line, grouped by order number, products by SKU: the
	// layout of the orders import (issue 5).
	"orders": {label: "nav.orders", cols: []Column{
		textCol("number", "export.col.order_number"), colCustomer,
		textCol("opportunity", "export.col.opportunity"), textCol("quote", "export.col.quote_number"),
		{Field: "sign_date", Label: "export.col.sign_date", Kind: KindDate},
		{Field: "status", Label: "export.col.order_status", Kind: KindChoice, Choices: orderStatusChoices()},
		{Field: "sku", Label: "export.col.product_sku", Kind: KindRelation},
		textCol("product_name", "import.col.product_name"),
		{Field: "unit_price", Label: "export.col.unit_price", Kind: KindMoney},
		{Field: "discount", Label: "export.col.discount", Kind: KindNumber},
		{Field: "quantity", Label: "export.col.quantity", Kind: KindNumber},
		{Field: "subtotal", Label: "export.col.subtotal", Kind: KindMoney},
		{Field: "total", Label: "export.col.order_total", Kind: KindMoney},
		{Field: "paid_amount", Label: "export.col.paid_amount", Kind: KindMoney},
		{Field: "approver", Label: "export.col.approver", Kind: KindRelation},
		colNotes, colOwner, colCreatedAt,
	}},
	"payments": {label: "nav.payments", cols: []Column{
		textCol("order", "export.col.order_number"), colCustomer,
		{Field: "amount", Label: "export.col.amount", Kind: KindMoney},
		{Field: "paid_on", Label: "export.col.paid_on", Kind: KindDate},
		{Field: "method", Label: "export.col.method", Kind: KindChoice, Choices: paymentMethodChoices()},
		colNotes, {Field: "owner", Label: "export.col.recorder", Kind: KindRelation},
		{Field: "confirmed", Label: "export.col.confirmed", Kind: KindBool},
		{Field: "confirmed_by", Label: "export.col.confirmed_by", Kind: KindRelation},
		{Field: "confirmed_at", Label: "export.col.confirmed_at", Kind: KindDateTime}, colCreatedAt,
	}},
	"invoices": {label: "nav.invoices", cols: []Column{
		textCol("order", "export.col.order_number"), colCustomer,
		{Field: "amount", Label: "export.col.amount", Kind: KindMoney},
		textCol("invoice_no", "export.col.invoice_no"),
		{Field: "invoice_type", Label: "export.col.invoice_type", Kind: KindChoice,
			Choices: choices("invoice.type.", string(crm.InvoiceNormal), string(crm.InvoiceSpecial))},
		{Field: "issued_on", Label: "export.col.issued_on", Kind: KindDate},
		colNotes, {Field: "owner", Label: "export.col.recorder", Kind: KindRelation},
		{Field: "confirmed", Label: "export.col.confirmed", Kind: KindBool},
		{Field: "confirmed_by", Label: "export.col.confirmed_by", Kind: KindRelation},
		{Field: "confirmed_at", Label: "export.col.confirmed_at", Kind: KindDateTime}, colCreatedAt,
	}},
}

// exportSlots admits a few exports at a time (each holds a database
// connection while it reads, and a temporary file); more are refused
// (ErrExportBusy), not queued.
var exportSlots = make(chan struct{}, max(4, 2*runtime.GOMAXPROCS(0)))

// ErrExportBusy is returned when every export slot of the process is
// taken.
var ErrExportBusy = errors.New("xlsx: every export slot is busy")

// ExportSlots is the number of exports the process runs at once.
func ExportSlots() int { return cap(exportSlots) }

// Exporter writes the exports of the lists.
type Exporter struct {
	DB *postgres.DB
	// MaxRows is the most rows one export writes (DefaultExportMaxRows
	// when 0).
	MaxRows int
}

// ExportFile is an export whose rows have all been read into its sheet
// (held by excelize's StreamWriter, in a temporary file beyond 16 MiB),
// ready to be written out. Close it.
type ExportFile struct {
	f       *excelize.File
	release func()
	// Rows is the number of data rows.
	Rows int
}

// Build reads the rows of q into a sheet of e in l. EINVALID
// "export.too_many" when q holds more than MaxRows rows (nothing is
// written then); ErrExportBusy when every export slot is taken. The
// caller closes the file.
func (ex *Exporter) Build(ctx context.Context, e *Export, q postgres.ExportQuery, l i18n.Locale) (*ExportFile, error) {
	limit := ex.MaxRows
	if limit <= 0 {
		limit = DefaultExportMaxRows
	}
	cols := e.Cols()
	idx := make([]int, len(cols))
	for i, c := range cols {
		if idx[i] = q.Index(c.Field); idx[i] < 0 {
			return nil, errors.New("xlsx: the export of " + e.Name + " has no value " + c.Field)
		}
	}
	select {
	case exportSlots <- struct{}{}:
	default:
		return nil, ErrExportBusy
	}
	x := &ExportFile{f: excelize.NewFile(), release: func() { <-exportSlots }}
	if err := ex.build(ctx, x, e, cols, idx, q, limit, l); err != nil {
		x.Close()
		return nil, err
	}
	return x, nil
}

func (ex *Exporter) build(ctx context.Context, x *ExportFile, e *Export, cols []Column, idx []int,
	q postgres.ExportQuery, limit int, l i18n.Locale) error {
	opts, err := ex.DB.AllOptions(ctx)
	if err != nil {
		return err
	}
	w, err := newExportWriter(x.f, e, cols, opts, l)
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	err = ex.DB.Export(ctx, q, limit+1, func(row []any) error {
		if x.Rows == limit {
			return crm.Errorf(crm.EINVALID, "export.too_many", limit)
		}
		for i, j := range idx {
			vals[i] = row[j]
		}
		x.Rows++
		return w.row(x.Rows+1, vals)
	})
	if err != nil {
		return err
	}
	return w.sw.Flush()
}

// WriteTo writes the workbook to w, zipping it on the way: nothing but the
// zip's buffers is held in memory, whatever the size of the sheet.
func (x *ExportFile) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 32<<10)
	// excelize zips into a bytes.Buffer that it then copies to w; the
	// zip writer given here writes to w itself, and the buffer stays empty
	// (it is only patched for parts over 4 GiB, which MaxRows rules out).
	x.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(bw) })
	if err := x.f.Write(io.Discard); err != nil {
		return cw.n, err
	}
	err := bw.Flush()
	return cw.n, err
}

// Close removes the sheet's temporary file and frees the export's slot.
func (x *ExportFile) Close() {
	_ = x.f.Close()
	if x.release != nil {
		x.release()
		x.release = nil
	}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// exportWriter writes an export's sheet row by row.
type exportWriter struct {
	sw      *excelize.StreamWriter
	cols    []Column
	l       i18n.Locale
	st      styles
	money   int
	options map[int64]string
	labels  []map[string]string // per column: a choice's value → its label in l
	yes, no string
}

// newExportWriter starts the sheet: its name, column widths, the frozen
// header row (the template's headers, required ones marked *).
func newExportWriter(f *excelize.File, e *Export, cols []Column, opts map[crm.OptionKind][]crm.Option, l i18n.Locale) (*exportWriter, error) {
	name := sheetName(i18n.T(l, e.Label))
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	st, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	moneyFmt := "#,##0.00"
	money, err := f.NewStyle(&excelize.Style{CustomNumFmt: &moneyFmt})
	if err != nil {
		return nil, err
	}
	w := &exportWriter{sw: sw, cols: cols, l: l, st: st, money: money, options: map[int64]string{},
		yes: i18n.T(l, "import.bool.yes"), no: i18n.T(l, "import.bool.no")}
	for _, list := range opts {
		for _, o := range list {
			w.options[o.ID] = o.Label(l == i18n.EN)
		}
	}
	w.labels = make([]map[string]string, len(cols))
	for i, c := range cols {
		list := c.Choices
		if c.Kind == KindRole {
			list = roleChoices()
		}
		if len(list) > 0 {
			w.labels[i] = map[string]string{}
			for _, ch := range list {
				w.labels[i][ch.Value] = i18n.T(l, ch.Label)
			}
		}
		width := 16.0
		switch {
		case c.Kind == KindText && c.Max >= 500:
			width = 36
		case c.Kind == KindRelation || c.Kind == KindDateTime:
			width = 20
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	head := make([]any, len(cols))
	for i := range cols {
		c := &cols[i]
		label, style := HeaderLabel(c, l), st.header
		if c.Required {
			label, style = label+"*", st.required
		}
		head[i] = excelize.Cell{Value: label, StyleID: style}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return nil, err
	}
	return w, nil
}

// row writes sheet row num from the values of the columns.
func (w *exportWriter) row(num int, vals []any) error {
	cells := make([]any, len(w.cols))
	for i := range w.cols {
		cells[i] = w.cell(i, vals[i])
	}
	ref, err := excelize.CoordinatesToCellName(1, num)
	if err != nil {
		return err
	}
	return w.sw.SetRow(ref, cells)
}

// cell turns one value into what the import of its column reads: nil for
// an empty cell.
func (w *exportWriter) cell(i int, v any) any {
	c := &w.cols[i]
	if v == nil {
		return nil
	}
	switch c.Kind {
	case KindOption:
		if id, ok := v.(int64); ok {
			return w.text(w.options[id])
		}
	case KindChoice, KindRole:
		// A value the import does not take (a converted lead's 已转化: a
		// conversion only happens through its workflow) is left empty,
		// which an update reads as "leave it as it is".
		if s, ok := v.(string); ok {
			return w.text(w.labels[i][s])
		}
	case KindBool:
		if b, ok := v.(bool); ok {
			if b {
				return w.yes
			}
			return w.no
		}
	case KindMoney, KindNumber:
		var d decimal.Decimal
		switch x := v.(type) {
		case decimal.Decimal:
			d = x
		case int64:
			return x
		default:
			return w.text(toString(v))
		}
		// A float: 15 significant digits, exact for every amount
		// numeric(14, 2) holds; the import reads it back as the decimal.
		f := d.InexactFloat64()
		if c.Kind == KindMoney {
			return excelize.Cell{Value: f, StyleID: w.money}
		}
		return f
	case KindDate:
		if t, ok := v.(time.Time); ok {
			return excelize.Cell{Value: t.Format("2006-01-02"), StyleID: w.st.text}
		}
	case KindDateTime:
		if t, ok := v.(time.Time); ok {
			return excelize.Cell{Value: formatMoment(t), StyleID: w.st.text}
		}
	}
	return w.text(toString(v))
}

// text is a text cell: empty is nil; text a spreadsheet could take for a
// formula is a text-formatted cell (cell in sheets.go).
func (w *exportWriter) text(s string) any {
	if s == "" {
		return nil
	}
	return cell(s, w.st.text)
}

// formatMoment writes a moment in the business zone to the minute, with
// seconds when it has them (the import reads both; fractions of a second
// are not kept).
func formatMoment(t time.Time) string {
	t = t.In(crm.Zone)
	if t.Second() != 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04")
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case decimal.Decimal:
		return x.String()
	case time.Time:
		return formatMoment(x)
	}
	return ""
}

// ExportFileName is the name of an export's file in l: the list and the
// day (销售线索-2026-01-15.xlsx).
func ExportFileName(e *Export, l i18n.Locale, now time.Time) string {
	return i18n.T(l, "export.file", i18n.T(l, e.Label), now.In(crm.Zone).Format("2006-01-02"))
}
