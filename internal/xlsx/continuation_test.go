package xlsx_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"crm/internal/i18n"
	"crm/internal/xlsx"
)

// TestImportOrdersContinuation: an order's further lines may leave its
// number blank, as the orders' note says — directly below a row of the
// order; the lines are summed exactly. A blank number with no order
// directly above (the first data row, below a blank row, below a row that
// had no valid number) is refused with a message that says where a blank
// is allowed, and a blank-number row whose order columns differ from the
// order above is told it was read as that order's line.
func TestImportOrdersContinuation(t *testing.T) {
	t.Parallel()
	d := newDeals(t)
	ctx := context.Background()
	data := book(t, orderHeader,
		[]any{"", "甲公司", "", "", "", "", "SVC", "", "", "1"},                         // 2: the first data row
		[]any{"", "", "", "", "", "", "SVC", "", "", "1"},                            // 3: below a row without a number
		[]any{"C-1", "甲公司", "2025-06-30", "已通过", "", "", "CRM-STD", "0.10", "", "1"}, // 4
		[]any{"", "", "", "", "", "", "SVC", "0.20", "", "1"},                        // 5: a further line of C-1
		[]any{"", "甲公司", "", "", "", "", "SVC", "0.70", "", "1"},                     // 6: the same customer repeated
		[]any{"C-2", "乙公司", "", "", "", "", "SVC", "100", "", "1"},                   // 7
		[]any{}, // 8: blank
		[]any{"", "", "", "", "", "", "SVC", "1", "", "1"},       // 9: below a blank row
		[]any{"C-3", "甲公司", "", "", "", "", "SVC", "5", "", "1"}, // 10
		[]any{"", "乙公司", "", "", "", "", "SVC", "5", "", "1"},    // 11: another customer: another order?
	)
	im := importer(d.db)
	rep, err := im.Check(ctx, d.admin, xlsx.TableByName("orders"), data, xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	blank := "「订单编号」：不能为空：只有订单的后续明细行可以不填编号，且须紧接在填有有效订单编号的行之下。"
	want := []string{
		"第 2 行" + blank,
		"第 3 行" + blank,
		"第 9 行" + blank,
		"第 10 行：订单「C-3」的第 11 行有错误，整个订单不导入。",
		"第 11 行「客户名称」：订单编号为空，本行视为上面订单「C-3」（第 10 行）的明细，但此项与该订单不同。如果这是另一个订单，请填写它的订单编号。",
	}
	got := messages(rep)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || rep.Counts.New != 4 || rep.Counts.Error != 5 || rep.Counts.Total != 9 { // rows: lines
		t.Fatalf("errors (counts %+v)\n%s\nwant\n%s", rep.Counts, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if en := rep.Errors[0].Message(xlsx.TableByName("orders"), i18n.EN); !strings.Contains(en, "directly below a row with a valid order number") {
		t.Errorf("English: %s", en)
	}

	id, rep := commit(t, d.db, d.admin, "orders", data, xlsx.Options{OnError: "skip"})
	if rep.Counts.New != 4 {
		t.Fatalf("commit %+v", rep.Counts)
	}
	// 0.10 + 0.20 + 0.70 is 1 exactly (in floats it is 0.9999999999999999).
	var total, status string
	if err := d.db.Pool.QueryRow(ctx, `SELECT total::text, status FROM orders WHERE number = 'C-1'`).Scan(&total, &status); err != nil {
		t.Fatal(err)
	}
	if total != "1.00" || status != "approved" {
		t.Fatalf("C-1: %s %s", total, status)
	}
	if n := count(t, d.db, `SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.number = 'C-1' AND
		((l.position = 1 AND l.subtotal = 0.10) OR (l.position = 2 AND l.subtotal = 0.20) OR (l.position = 3 AND l.subtotal = 0.70))`); n != 3 {
		t.Fatalf("C-1 has %d of its 3 lines", n)
	}
	if n := count(t, d.db, `SELECT count(*) FROM orders WHERE number = 'C-2' AND total = 100`); n != 1 {
		t.Fatal("C-2")
	}
	if n := count(t, d.db, `SELECT count(*) FROM orders`); n != 2 {
		t.Fatalf("%d orders", n)
	}
	if f := customerFigures(t, d.db, d.acme); f.DealAmount != "1.00" || f.DealCount != 1 {
		t.Fatalf("甲公司 %+v", f)
	}
	if n := count(t, d.db, `SELECT count(*) FROM history WHERE import_job_id = $1 AND resource = 'order' AND action = 'create'`, id); n != 2 {
		t.Fatalf("history %d", n)
	}
}

// TestImportOrdersContinuationChunk: the further lines of an order with a
// blank number stay with it where a chunk of rows would end.
func TestImportOrdersContinuationChunk(t *testing.T) {
	t.Parallel()
	d := newDeals(t)
	const singles = 999 // then the order of three lines starts the 1000th row of the chunk
	data := streamBook(t, orderHeader, singles+3, func(i int) []any {
		switch {
		case i < singles:
			return []any{fmt.Sprintf("S-%04d", i), "甲公司", "", "", "", "", "SVC", "1", "", "1"}
		case i == singles:
			return []any{"LONG", "乙公司", "", "", "", "", "SVC", "1.11", "", "1"}
		}
		return []any{"", "", "", "", "", "", "CRM-STD", "2.22", "", "1"}
	})
	_, rep := commit(t, d.db, d.admin, "orders", data, xlsx.Options{})
	if rep.Counts.New != singles+3 || rep.Counts.Error != 0 {
		t.Fatalf("counts %+v %q", rep.Counts, messages(rep))
	}
	if n := count(t, d.db, `SELECT count(*) FROM orders o WHERE o.number = 'LONG' AND o.total = 5.55
		AND (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id) = 3`); n != 1 {
		t.Fatal("the order across the chunk's end lost lines")
	}
}

// TestImportOrdersNoteAgrees: the template's 说明 sheet says that an
// order's further lines may leave the number blank (both languages), and a
// template filled in that way — below its examples — imports.
func TestImportOrdersNoteAgrees(t *testing.T) {
	t.Parallel()
	d := newDeals(t)
	ctx := context.Background()
	tb := xlsx.TableByName("orders")
	for l, want := range map[i18n.Locale][2]string{
		i18n.ZH: {"订单编号也可以留空", "也可以留空（编号为空的行属于紧接其上的订单）"},
		i18n.EN: {"the number too: a line with an empty number is a further line of the order directly above", "or leave it empty (a line with an empty number belongs to the order directly above)"},
	} {
		var buf bytes.Buffer
		if err := xlsx.WriteTemplate(&buf, tb, nil, l); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		help, _ := f.GetRows(f.GetSheetList()[1])
		var text strings.Builder
		for _, r := range help {
			text.WriteString(strings.Join(r, " | ") + "\n")
		}
		for _, w := range want {
			if !strings.Contains(text.String(), w) {
				t.Errorf("%s: the 说明 sheet does not say %q\n%s", l, w, text.String())
			}
		}
		if l != i18n.ZH {
			f.Close()
			continue
		}
		sheet := f.GetSheetList()[0]
		for i, r := range [][]any{
			{"N-1", "甲公司", "2025-06-30", "草稿", "", "", "CRM-STD", "100", "", "1"},
			{"", "", "", "", "", "", "SVC", "0.50", "", "3"},
		} {
			if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", 4+i), &r); err != nil {
				t.Fatal(err)
			}
		}
		data := write(t, f)
		f.Close()
		rep, err := importer(d.db).Check(ctx, d.admin, tb, data, xlsx.Options{})
		if err != nil || rep.Counts.New != 2 || rep.Counts.Error != 0 || rep.Examples != 2 {
			t.Fatalf("the template filled in as its note says: %v %+v %q", err, rep, messages(rep))
		}
	}
}
