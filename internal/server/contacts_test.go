package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"crm/internal/i18n"
	"crm/internal/postgres"
)

// contactIDByName returns the id of the contact named name.
func contactIDByName(w *custWorld, name string) int {
	return w.app.count(`SELECT id FROM contacts WHERE name = $1`, name)
}

// TestContactPrimaryRules: a customer's first contact is its primary one;
// ticking 主联系人 on another moves the flag; 设为主联系人 moves it; deleting
// the primary contact promotes the oldest remaining one. The customer page
// lists the primary contact first.
func TestContactPrimaryRules(t *testing.T) {
	t.Parallel()
	w := newCustWorld(t)
	x := w.customer(t, "crepb", "主联系人公司", postgres.NewOwner{})
	b := w.as("crepb")
	cust := fmtPath("/customers/%d", x)
	add := func(name string, primary bool) int {
		t.Helper()
		f := form("customer_id", fmt.Sprint(x), "name", name, "phone", "1380000")
		if primary {
			f.Set("is_primary", "1")
		}
		b.post("/contacts", f).wantRedirect(cust + "#contacts")
		return contactIDByName(w, name)
	}
	wantPrimary := func(step string, id int) {
		t.Helper()
		if got := w.app.count(`SELECT count(*) FROM contacts WHERE customer_id = $1 AND is_primary`, x); got != 1 {
			t.Fatalf("%s: %d primary contacts", step, got)
		}
		if got := w.app.count(`SELECT id FROM contacts WHERE customer_id = $1 AND is_primary`, x); got != id {
			t.Fatalf("%s: primary is %d, want %d", step, got, id)
		}
		p := b.get(cust)
		if first := p.Doc.Find(tid("contact-row")).First(); first.Find(tid("primary-contact")).Length() != 1 {
			t.Fatalf("%s: the customer page does not list the primary contact first", step)
		}
	}

	one := add("一号", false)
	wantPrimary("first contact", one)
	two := add("二号", false)
	wantPrimary("second contact", one)
	three := add("三号", true)
	wantPrimary("ticked on create", three)

	// 设为主联系人 from the customer page goes back there.
	p := b.get(cust)
	if p.Doc.Find(tid("make-primary")).Length() != 2 {
		t.Fatalf("%d make-primary buttons, want 2", p.Doc.Find(tid("make-primary")).Length())
	}
	b.post(fmtPath("/contacts/%d/primary", two), form("back", cust+"#contacts")).wantRedirect(cust + "#contacts")
	wantPrimary("make primary", two)
	b.get(fmtPath("/contacts/%d", two)).wantStatus(http.StatusOK).wantText(tid("primary-contact"), i18n.T(i18n.ZH, "field.is_primary"))

	// Unticking on edit keeps the flag; ticking on another moves it.
	b.post(fmtPath("/contacts/%d", two), form("name", "二号")).wantRedirect(fmtPath("/contacts/%d", two))
	wantPrimary("unticked on edit", two)
	b.post(fmtPath("/contacts/%d", one), form("name", "一号", "is_primary", "1")).wantRedirect(fmtPath("/contacts/%d", one))
	wantPrimary("ticked on edit", one)

	// Deleting the primary contact promotes the oldest remaining one.
	b.post(fmtPath("/contacts/%d/delete", one), form("back", cust+"#contacts")).wantRedirect(cust + "#contacts")
	wantPrimary("primary deleted", two)
	b.post(fmtPath("/contacts/%d/delete", two), nil).wantRedirect("/contacts")
	wantPrimary("primary deleted again", three)
	b.get(fmtPath("/contacts/%d", three)).wantText(tid("history"), i18n.T(i18n.ZH, "history.action.primary"))
}

// TestContactFormsAndList: the new-contact form with and without a
// customer, field errors, the contact list narrowed to a customer, and the
// copy of the customer's owner on a new contact.
func TestContactFormsAndList(t *testing.T) {
	t.Parallel()
	w := newCustWorld(t)
	x := w.customer(t, "crepb", "联系人表单公司", postgres.NewOwner{})
	y := w.customer(t, "crepb", "另一家公司", postgres.NewOwner{})
	b := w.as("crepb")

	// From the customer page: the customer is fixed.
	p := b.get(fmtPath("/contacts/new?customer=%d", x)).wantStatus(http.StatusOK)
	p.wantText(tid("contact-customer"), "联系人表单公司")
	if v, _ := p.Doc.Find(`input[name="customer_id"]`).Attr("value"); v != fmt.Sprint(x) {
		t.Fatalf("customer_id = %q", v)
	}
	// Without: a picker of the customers found.
	p = b.get("/contacts/new?customer_q=" + url.QueryEscape("另一家")).wantStatus(http.StatusOK)
	if opts := p.Doc.Find(`select[name="customer_id"] option[value]`).Not(`[value=""]`); opts.Length() != 1 || opts.Text() != "另一家公司" {
		t.Fatalf("picker offers %q", opts.Text())
	}
	// Field errors come back with the input (422).
	p = b.post("/contacts", form("customer_id", fmt.Sprint(x), "name", "", "email", "not-an-email", "title", "经理")).
		wantStatus(http.StatusUnprocessableEntity)
	p.wantText(tid("error-name"), i18n.T(i18n.ZH, "error.required")).wantText(tid("error-email"), i18n.T(i18n.ZH, "error.email_format"))
	if v, _ := p.Doc.Find(`input[name="title"]`).Attr("value"); v != "经理" {
		t.Errorf("title not kept: %q", v)
	}
	b.post("/contacts", form("name", "没有客户")).wantStatus(http.StatusUnprocessableEntity).
		wantText(tid("error-customer_id"), i18n.T(i18n.ZH, "error.required"))

	b.post("/contacts", form("customer_id", fmt.Sprint(x), "name", "赵六", "email", "zhao@example.com")).wantStatus(http.StatusSeeOther)
	b.post("/contacts", form("customer_id", fmt.Sprint(y), "name", "钱七")).wantStatus(http.StatusSeeOther)
	ct := contactIDByName(w, "赵六")
	if n := w.app.count(`SELECT count(*) FROM contacts WHERE id = $1 AND owner_id = $2 AND customer_owner_id = $2
		AND department_id = $3 AND customer_department_id = $3 AND created_by = $2`, ct, w.id["crepb"], w.team); n != 1 {
		t.Fatal("the new contact's ownership is wrong")
	}

	// The list, narrowed to one customer, searched and sorted.
	p = b.get(fmtPath("/contacts?customer=%d", x)).wantStatus(http.StatusOK)
	p.wantText(tid("chip-customer"), "联系人表单公司").wantText(tid("total"), i18n.T(i18n.ZH, "list.total", 1))
	if !strings.Contains(p.text(tid("contacts-table")), "赵六") || strings.Contains(p.text(tid("contacts-table")), "钱七") {
		t.Fatal("customer filter")
	}
	if href, _ := p.Doc.Find(tid("new-contact")).Attr("href"); href != fmtPath("/contacts/new?customer=%d", x) {
		t.Errorf("new contact link %q", href)
	}
	b.get("/contacts?q="+url.QueryEscape("钱")).wantText(tid("total"), i18n.T(i18n.ZH, "list.total", 1))
	b.get("/contacts?sort=name&dir=desc").wantStatus(http.StatusOK)
	b.get("/contacts?sort=nonsense").wantStatus(http.StatusOK)
	// The edit form keeps the customer.
	b.post(fmtPath("/contacts/%d", ct), form("name", "赵六", "customer_id", fmt.Sprint(y), "title", "总监")).wantStatus(http.StatusSeeOther)
	if n := w.app.count(`SELECT count(*) FROM contacts WHERE id = $1 AND customer_id = $2 AND title = '总监'`, ct, x); n != 1 {
		t.Fatal("a contact moved to another customer")
	}
	b.get(fmtPath("/contacts/%d", ct)).wantText(tid("history"), "总监")
}
