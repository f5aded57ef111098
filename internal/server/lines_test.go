package server_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// ordPost turns a docForm into url.Values.
func ordPost(f map[string][]string, kv ...string) url.Values {
	v := url.Values(f)
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// TestLineMoneyThroughForm: the line editor prices on the server exactly as
// SPEC §4 says — 0.1 × 3 = 0.30, 19.99 × 0.85 × 7 = 118.94 (118.9405
// rounded), amounts up to 99 999 999 999.99 — and the total sums the
// rounded subtotals (three 0.005 lines make 0.03, not 0.02); the saved
// quote and order store the same subtotals and total, and show them.
func TestLineMoneyThroughForm(t *testing.T) {
	w := newOrdWorld(t)
	c := w.customer("rep1", "ord金额客户")
	rep1 := w.clients["rep1"]

	cases := []struct {
		name      string
		rows      [][4]string
		subtotals []string
		total     string
	}{
		{"0.1×3 and 19.99×0.85×7", [][4]string{{"ORD-C", "0.1", "1", "3"}, {"ORD-B", "19.99", "0.85", "7"}},
			[]string{"0.30", "118.94"}, "119.24"},
		{"rounded subtotals sum", [][4]string{{"ORD-D", "0.01", "0.5", "1"}, {"ORD-D", "0.01", "0.5", "1"}, {"ORD-D", "0.01", "0.5", "1"}},
			[]string{"0.01", "0.01", "0.01"}, "0.03"},
		{"large amounts", [][4]string{{"ORD-BIG", "99,999,999,999.99", "1", "1"}, {"ORD-BIG", "99999999999.99", "1", "2"}},
			[]string{"99,999,999,999.99", "199,999,999,999.98"}, "299,999,999,999.97"},
		{"discount as percent, quantity with decimals", [][4]string{{"ORD-A", "100", "85%", "1.5"}},
			[]string{"127.50"}, "127.50"},
	}
	for _, tc := range cases {
		p := rep1.post("/lines/preview", ordPost(w.docForm(c, tc.rows))).wantStatus(200)
		if strings.Contains(p.Body, "<html") {
			t.Errorf("%s: the preview answered a whole page", tc.name)
		}
		if got := strings.Join(p.texts(tid("line-subtotal")), ","); got != strings.Join(tc.subtotals, ",") {
			t.Errorf("%s: preview subtotals %s, want %s", tc.name, got, strings.Join(tc.subtotals, ","))
		}
		p.wantText(tid("line-total"), tc.total)

		for _, kind := range []string{"/quotes", "/orders"} {
			id := ordNewID(t, rep1.post(kind, ordPost(w.docForm(c, tc.rows))))
			table := map[string]string{"/quotes": "quote", "/orders": "order"}[kind]
			var subtotals []string
			rows, err := w.DB.Pool.Query(t.Context(), `SELECT to_char(subtotal, 'FM999,999,999,999,990.00') FROM `+table+`_lines WHERE `+
				table+`_id = $1 ORDER BY position`, id)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var s string
				_ = rows.Scan(&s)
				subtotals = append(subtotals, s)
			}
			rows.Close()
			if got := strings.Join(subtotals, ","); got != strings.Join(tc.subtotals, ",") {
				t.Errorf("%s %s: stored subtotals %s", tc.name, kind, got)
			}
			if n := w.count(`SELECT count(*) FROM `+table+`s t WHERE id = $1 AND total = (SELECT sum(subtotal) FROM `+table+
				`_lines WHERE `+table+`_id = t.id)`, id); n != 1 {
				t.Errorf("%s %s: total is not the sum of the stored subtotals", tc.name, kind)
			}
			page := rep1.get(kind + "/" + strconv.FormatInt(id, 10)).wantStatus(200)
			page.wantText(tid("doc-total"), tc.total)
			if got := strings.Join(page.texts(tid("doc-line-subtotal")), ","); got != strings.Join(tc.subtotals, ",") {
				t.Errorf("%s %s: page subtotals %s", tc.name, kind, got)
			}
		}
	}
}

// TestLinePreviewFillsListPrice: choosing a product fills its list price
// when the price is empty or still the previous product's list price; a
// price typed by hand stays.
func TestLinePreviewFillsListPrice(t *testing.T) {
	w := newOrdWorld(t)
	a, b := strconv.FormatInt(w.prod["ORD-A"], 10), strconv.FormatInt(w.prod["ORD-B"], 10)
	f := url.Values{
		"line_product":      {a, b, b, b},
		"line_prev_product": {"", a, a, b},
		"line_price":        {"", "100.00", "88", ""},
		"line_discount":     {"", "1", "1", "1"},
		"line_quantity":     {"1", "1", "1", "2"},
	}
	p := w.clients["rep1"].post("/lines/preview", f).wantStatus(200)
	price := func(i int) string {
		v, _ := p.Doc.Find("#line-price-" + strconv.Itoa(i)).Attr("value")
		return v
	}
	for i, want := range []string{"100.00", "19.99", "88", "19.99"} {
		if got := price(i); got != want {
			t.Errorf("row %d price %q, want %q", i, got, want)
		}
	}
	// The row remembers its product for the next change; an empty discount is 1.
	if v, _ := p.Doc.Find(`input[name="line_prev_product"]`).Eq(1).Attr("value"); v != b {
		t.Errorf("prev product %q, want %q", v, b)
	}
	if v, _ := p.Doc.Find("#line-discount-0").Attr("value"); v != "1" {
		t.Errorf("discount %q, want 1", v)
	}
	p.wantText(tid("line-total"), "247.97") // 100 + 19.99 + 88 + 39.98
	// The editor is live: htmx posts the form on every change to the preview.
	if v, _ := p.Doc.Find(tid("line-editor")).Attr("hx-post"); v != "/lines/preview" {
		t.Errorf("hx-post %q", v)
	}
}

// TestLineEditorWithoutJavaScript: 添加一行 and 删除 are submit buttons named
// op; posted to the form's own route they re-render the form (200) with the
// rows changed and save nothing; only op="" saves. Through the preview
// route they answer the editor alone.
func TestLineEditorWithoutJavaScript(t *testing.T) {
	w := newOrdWorld(t)
	c := w.customer("rep1", "ord无脚本客户")
	rep1 := w.clients["rep1"]
	rows := [][4]string{{"ORD-A", "100", "1", "1"}, {"ORD-B", "19.99", "1", "2"}}
	for _, kind := range []string{"/quotes", "/orders"} {
		p := rep1.post(kind, ordPost(w.docForm(c, rows), "op", "add", "notes", "留着")).wantStatus(200)
		if n := len(p.texts(tid("line-row"))); n != 3 {
			t.Errorf("%s add: %d rows", kind, n)
		}
		if got := p.text(`textarea[name="notes"]`); got != "留着" {
			t.Errorf("%s add: notes %q", kind, got)
		}
		p = rep1.post(kind, ordPost(w.docForm(c, rows), "op", "remove:0")).wantStatus(200)
		if n := len(p.texts(tid("line-row"))); n != 1 {
			t.Errorf("%s remove: %d rows", kind, n)
		}
		if v, _ := p.Doc.Find("#line-price-0").Attr("value"); v != "19.99" {
			t.Errorf("%s remove: the remaining row has price %q", kind, v)
		}
		p.wantText(tid("line-total"), "39.98")
	}
	if n := w.count(`SELECT (SELECT count(*) FROM quotes) + (SELECT count(*) FROM orders)`); n != 0 {
		t.Fatalf("%d documents saved by the editor's buttons", n)
	}
	// Editing a saved quote works the same way.
	id := ordNewID(t, rep1.post("/quotes", ordPost(w.docForm(c, rows))))
	p := rep1.post("/quotes/"+strconv.FormatInt(id, 10), ordPost(w.docForm(0, rows), "op", "add")).wantStatus(200)
	if n := len(p.texts(tid("line-row"))); n != 3 {
		t.Errorf("edit add: %d rows", n)
	}
	if n := w.count(`SELECT count(*) FROM quote_lines WHERE quote_id = $1`, id); n != 2 {
		t.Errorf("the editor's button changed the stored lines: %d", n)
	}
	// Through the preview: the fragment alone.
	frag := rep1.post("/lines/preview", ordPost(w.docForm(c, rows), "op", "remove:1")).wantStatus(200)
	if strings.Contains(frag.Body, "<html") || len(frag.texts(tid("line-row"))) != 1 {
		t.Errorf("preview remove: %s", abbreviate(frag.Body))
	}
}

// TestLineBadCells: unreadable numbers and values out of range come back
// with a message on their cell (422) and the input as typed; a document
// without lines says so. The preview shows the same messages (200) without
// nagging about a row just added.
func TestLineBadCells(t *testing.T) {
	w := newOrdWorld(t)
	c := w.customer("rep1", "ord错误客户")
	rep1 := w.clients["rep1"]
	rows := [][4]string{{"ORD-A", "abc", "1.5", "x"}, {"ORD-B", "1.234", "0.12345", "0"}, {"", "", "1", "1"}}
	p := rep1.post("/orders", ordPost(w.docForm(c, rows))).wantStatus(422)
	for field, msg := range map[string]string{
		"line_price_0":    "金额格式不正确",
		"line_discount_0": "折扣须大于 0 且不超过 1",
		"line_quantity_0": "数量须为数字",
		"line_price_1":    "金额最多两位小数",
		"line_discount_1": "折扣须为 0 到 1 之间的数字",
		"line_quantity_1": "数量须大于 0",
		"line_product_2":  "必填",
	} {
		p.wantText(tid("error-"+field), msg)
	}
	if v, _ := p.Doc.Find("#line-price-0").Attr("value"); v != "abc" {
		t.Errorf("the bad price came back as %q", v)
	}
	rep1.post("/quotes", ordPost(w.docForm(c, nil))).wantStatus(422).wantText(tid("error-lines"), "至少需要一行产品")
	// A product that does not exist.
	rep1.post("/quotes", url.Values{"customer_id": {strconv.FormatInt(c, 10)}, "line_product": {"999999"},
		"line_price": {"1"}, "line_quantity": {"1"}}).wantStatus(422).wantText(tid("error-line_product_0"), "不存在")
	// The preview: the same cell messages, none for the empty new row.
	pv := rep1.post("/lines/preview", ordPost(w.docForm(c, rows))).wantStatus(200)
	pv.wantText(tid("error-line_price_0"), "金额格式不正确")
	if pv.has(tid("error-line_product_2")) {
		t.Error("the preview complains about the empty new row")
	}
	if n := w.count(`SELECT count(*) FROM orders`); n != 0 {
		t.Fatal("an invalid order was saved")
	}
}
