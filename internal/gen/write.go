package gen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"crm/internal/crm"
)

// rows writes rows in COPY's text format.
type rows struct {
	w     *bufio.Writer
	first bool
	buf   []byte
	n     int
}

func (w *rows) sep() {
	if w.first {
		w.first = false
		return
	}
	w.w.WriteByte('\t')
}

func (w *rows) int(v int64) *rows {
	w.sep()
	w.buf = strconv.AppendInt(w.buf[:0], v, 10)
	w.w.Write(w.buf)
	return w
}

// id writes v, or NULL for 0.
func (w *rows) id(v int64) *rows {
	if v == 0 {
		return w.null()
	}
	return w.int(v)
}

func (w *rows) null() *rows {
	w.sep()
	w.w.WriteString(`\N`)
	return w
}

func (w *rows) text(s string) *rows {
	w.sep()
	if strings.ContainsAny(s, "\\\t\n\r") {
		s = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`).Replace(s)
	}
	w.w.WriteString(s)
	return w
}

func (w *rows) bool(b bool) *rows {
	w.sep()
	if b {
		w.w.WriteByte('t')
	} else {
		w.w.WriteByte('f')
	}
	return w
}

// time writes a timestamptz (Unix seconds), or NULL for 0.
func (w *rows) time(t int64) *rows {
	if t == 0 {
		return w.null()
	}
	w.sep()
	w.buf = time.Unix(t, 0).In(crm.Zone).AppendFormat(w.buf[:0], "2006-01-02 15:04:05-07")
	w.w.Write(w.buf)
	return w
}

// date writes the business day of t, or NULL for 0.
func (w *rows) date(t int64) *rows {
	if t == 0 {
		return w.null()
	}
	w.sep()
	w.buf = time.Unix(t, 0).In(crm.Zone).AppendFormat(w.buf[:0], "2006-01-02")
	w.w.Write(w.buf)
	return w
}

// money writes cents as a decimal.
func (w *rows) money(cents int64) *rows {
	w.sep()
	w.buf = strconv.AppendInt(w.buf[:0], cents/100, 10)
	c := cents % 100
	w.buf = append(w.buf, '.', byte('0'+c/10), byte('0'+c%10))
	w.w.Write(w.buf)
	return w
}

// discount writes a factor in 1/10 000 as a decimal.
func (w *rows) discount(bp int64) *rows {
	w.sep()
	w.buf = append(w.buf[:0], byte('0'+bp/10000), '.')
	w.buf = append(w.buf, fmt.Sprintf("%04d", bp%10000)...)
	w.w.Write(w.buf)
	return w
}

func (w *rows) end() {
	w.w.WriteByte('\n')
	w.first = true
	w.n++
}

// copy streams the rows fill writes into table through COPY … FREEZE: fill
// runs in its own goroutine, so that generating and loading overlap.
func (g *gen) copy(ctx context.Context, table string, cols string, fill func(w *rows)) error {
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		bw := bufio.NewWriterSize(pw, 1<<20)
		w := &rows{w: bw, first: true}
		fill(w)
		pw.CloseWithError(bw.Flush())
		done <- w.n
	}()
	_, err := g.tx.Conn().PgConn().CopyFrom(ctx, pr, `COPY `+table+` (`+cols+`) FROM STDIN WITH (FREEZE)`)
	pr.CloseWithError(io.ErrClosedPipe) // unblocks fill when COPY failed early
	n := <-done
	if err != nil {
		return err
	}
	g.counts = append(g.counts, TableRows{table, n})
	return nil
}

func (g *gen) pick(kind string, r interface{ IntN(int) int }) int64 {
	o := g.options[kind]
	return o[r.IntN(len(o))]
}

func (g *gen) writeProducts(ctx context.Context) error {
	return g.copy(ctx, "products", "id, sku, name, category, unit, list_price, description, active, created_by, created_at, updated_at", func(w *rows) {
		for k, p := range g.products {
			r := g.rnd(saltProduct, uint64(k))
			cat := productCategories[k%len(productCategories)]
			name := brand(r) + " " + productWords[r.IntN(len(productWords))] + " " + strconv.Itoa(100+r.IntN(900)) + string(rune('A'+r.IntN(6)))
			w.int(int64(k + 1)).text(fmt.Sprintf("P%04d", k+1)).text(name).text(cat.name).text(cat.unit).money(p.price).
				text("").bool(k%40 != 39).int(g.ceo).time(g.t0).time(g.t0)
			w.end()
		}
	})
}

func (g *gen) writeCampaigns(ctx context.Context) error {
	return g.copy(ctx, "campaigns", "id, name, type_id, status, start_date, end_date, budget, actual_cost, description, "+
		"owner_id, department_id, created_by, lead_count, customer_count, deal_amount, created_at, updated_at", func(w *rows) {
		for k, c := range g.campaigns {
			r := g.rnd(saltCampaign, uint64(k))
			status, cost := "finished", int64(0)
			budget := int64(2+r.IntN(30)) * 1_000_000
			switch {
			case c.start > g.t1:
				status = "planned"
			case c.end > g.t1:
				status, cost = "active", budget*int64(r.IntN(60))/100
			case k%17 == 5:
				status = "cancelled"
			default:
				cost = budget * int64(70+r.IntN(40)) / 100
			}
			year := time.Unix(c.start, 0).In(crm.Zone).Year()
			name := fmt.Sprintf("%d %s%s", year, cities[r.IntN(len(cities))], campaignNames[r.IntN(len(campaignNames))])
			created := c.start - 30*day
			w.int(int64(k + 1)).text(name).int(g.pick("campaign_type", r)).text(status).date(c.start).date(c.end).
				money(budget).money(cost).text("市场活动：" + name).int(c.owner).int(g.deptOf[c.owner]).int(c.owner).
				int(int64(c.leads)).int(int64(c.customers)).money(c.deal).time(created).time(created)
			w.end()
		}
	})
}

// customerText is what a customer and the lead it came from share.
type customerText struct {
	name, phone, contact, title string
}

func (g *gen) customerText(i int) customerText {
	r := g.rnd(saltCustomer, uint64(i))
	t := customerText{name: customerName(r), contact: person(r), title: titles[r.IntN(len(titles))]}
	if r.IntN(3) == 0 {
		t.phone = landline(r)
	} else {
		t.phone = mobile(r)
	}
	return t
}

func (g *gen) writeLeads(ctx context.Context) error {
	return g.copy(ctx, "leads", "id, name, company, title, phone, email, source_id, campaign_id, status, notes, "+
		"next_follow_up_at, last_follow_up_at, customer_id, converted_at, owner_id, department_id, created_by, "+
		"deal_amount, deal_count, created_at, updated_at", func(w *rows) {
		for i, l := range g.leads {
			r := g.rnd(saltLead, uint64(i))
			var t customerText
			if l.customer != 0 {
				t = g.customerText(int(l.customer - 1))
			} else {
				t = customerText{name: company(r), contact: person(r), title: titles[r.IntN(len(titles))], phone: mobile(r)}
				if r.IntN(5) == 0 {
					t.name = ""
				}
			}
			updated := max(l.created, l.last, l.converted)
			w.int(int64(i + 1)).text(t.contact).text(t.name).text(t.title).text(t.phone).text(email(r, int64(i+1))).
				int(g.pick("source", r)).id(int64(l.campaign)).text(leadStatus[l.status]).text(leadNotes[r.IntN(len(leadNotes))]).
				time(l.next).time(l.last).id(int64(l.customer)).time(l.converted).id(int64(l.owner)).id(int64(l.dept)).
				int(int64(l.creator)).money(l.deal).int(int64(l.deals)).time(l.created).time(updated)
			w.end()
		}
	})
}

func (g *gen) writeCustomers(ctx context.Context) error {
	return g.copy(ctx, "customers", "id, name, stage, level_id, industry_id, source_id, campaign_id, lead_id, phone, "+
		"address, notes, owner_id, department_id, created_by, last_follow_up_at, next_follow_up_at, deal_amount, "+
		"deal_count, paid_amount, invoiced_amount, created_at, updated_at", func(w *rows) {
		for i, c := range g.customers {
			t := g.customerText(i)
			r := g.rnd(saltCustomer, uint64(i)+1<<40)
			stage := "potential"
			if c.deals > 0 {
				stage = "won"
			}
			notes := ""
			if r.IntN(10) == 0 {
				notes = leadNotes[3+r.IntN(len(leadNotes)-3)]
			}
			w.int(int64(i + 1)).text(t.name).text(stage).int(g.pick("customer_level", r)).int(g.pick("industry", r)).
				int(g.pick("source", r)).id(int64(c.campaign)).id(int64(c.lead)).text(t.phone).text(address(r)).text(notes).
				id(int64(c.owner)).id(int64(c.dept)).int(int64(c.creator)).time(c.last).time(c.next).
				money(c.deal).int(int64(c.deals)).money(c.paid).money(c.invoiced).time(c.created).time(max(c.created, c.last))
			w.end()
		}
	})
}

// writeCollaborators gives 4 % of the owned customers one or two
// collaborators from the owner's department, and 0.3 % a presales
// engineer (each of the six collaborates on 0.05 % of all customers).
func (g *gen) writeCollaborators(ctx context.Context) error {
	var pre []int64
	for i, e := range g.emps {
		if deptDefs[e.dept].name == "售前技术支持部" && e.role == crm.RoleSalesRep {
			pre = append(pre, g.empID[i])
		}
	}
	return g.copy(ctx, "customer_collaborators", "customer_id, employee_id, added_by, added_at", func(w *rows) {
		for i, c := range g.customers {
			if c.owner == 0 {
				continue
			}
			r := g.rnd(saltCollab, uint64(i))
			seen := [4]int64{int64(c.owner)}
			n := 1
			add := func(e int64) {
				if slices.Contains(seen[:n], e) {
					return
				}
				seen[n] = e
				n++
				w.int(int64(i + 1)).int(e).int(int64(c.owner)).time(between(r, c.created, g.t1-3600))
				w.end()
			}
			if r.IntN(25) == 0 {
				team := g.byDept[int64(c.dept)]
				for range 1 + r.IntN(2) {
					add(team[r.IntN(len(team))])
				}
			}
			if r.IntN(1000) < 3 {
				add(pre[r.IntN(len(pre))])
			}
		}
	})
}

func (g *gen) writeContacts(ctx context.Context) error {
	return g.copy(ctx, "contacts", "customer_id, name, title, phone, email, notes, is_primary, owner_id, department_id, "+
		"created_by, customer_owner_id, customer_department_id, created_at, updated_at", func(w *rows) {
		var id int64
		for i, c := range g.customers {
			t := g.customerText(i)
			r := g.rnd(saltContact, uint64(i))
			for k := range 1 + r.IntN(3) {
				id++
				name, title, phone := t.contact, t.title, t.phone
				if k > 0 || len(phone) != 11 {
					name, title, phone = person(r), titles[r.IntN(len(titles))], mobile(r)
					if k == 0 {
						name = t.contact
					}
				}
				at := c.created
				if k > 0 {
					at = between(r, c.created, g.t1-3600)
				}
				w.int(int64(i + 1)).text(name).text(title).text(phone).text(email(r, id)).text("").bool(k == 0).
					id(int64(c.owner)).id(int64(c.dept)).int(int64(c.creator)).id(int64(c.owner)).id(int64(c.dept)).time(at).time(at)
				w.end()
			}
		}
	})
}

func (g *gen) writeOpportunities(ctx context.Context) error {
	return g.copy(ctx, "opportunities", "id, name, customer_id, stage, expected_amount, expected_close, notes, "+
		"last_follow_up_at, stage_changed_at, owner_id, department_id, created_by, customer_owner_id, "+
		"customer_department_id, created_at, updated_at", func(w *rows) {
		for k, o := range g.opps {
			r := g.rnd(saltOpp, uint64(k))
			c := &g.customers[o.cust]
			name := fmt.Sprintf("%d %s", time.Unix(o.created, 0).In(crm.Zone).Year(), opportunityNames[r.IntN(len(opportunityNames))])
			w.int(int64(k + 1)).text(name).int(int64(o.cust + 1)).text(oppStages[o.stage]).money(o.amount).date(o.close).text("").
				time(o.last).time(o.changed).int(int64(c.owner)).id(int64(c.dept)).int(int64(c.owner)).int(int64(c.owner)).
				id(int64(c.dept)).time(o.created).time(max(o.changed, o.last))
			w.end()
		}
	})
}

// writeFollowUps writes the follow-ups in time order; each is by the
// current owner of its parent (for a record in a pool, by someone of the
// pool's department), carrying the parent's owner and department.
func (g *gen) writeFollowUps(ctx context.Context) error {
	return g.copy(ctx, "follow_ups", "id, lead_id, customer_id, method_id, content, followed_at, next_at, owner_id, "+
		"department_id, created_by, customer_owner_id, customer_department_id, created_at, updated_at, opportunity_id", func(w *rows) {
		r := g.rnd(saltFollowUp, 0)
		for k, f := range g.follows {
			var leadID, custID, owner, dept int64
			if f.lead {
				l := &g.leads[f.parent]
				leadID, owner, dept = int64(f.parent+1), int64(l.owner), int64(l.dept)
			} else {
				c := &g.customers[f.parent]
				custID, owner, dept = int64(f.parent+1), int64(c.owner), int64(c.dept)
			}
			author := owner
			if author == 0 {
				if team := g.byDept[dept]; len(team) > 0 {
					author = team[int(f.parent)%len(team)]
				} else {
					author = g.ceo
				}
			}
			var next int64
			if f.next != 0 {
				next = f.at + int64(f.next)
			}
			content := followUpTexts[r.IntN(len(followUpTexts))]
			w.int(int64(k + 1)).id(leadID).id(custID).int(g.pick("follow_up_method", r)).text(content).time(f.at).time(next).
				int(author).id(g.deptOf[author]).int(author).id(owner).id(dept).time(f.at).time(f.at).id(int64(f.opp))
			w.end()
		}
	})
}

// docNumber numbers a quote or order in its year (BJ-2024-00001), in
// creation order, as postgres.nextNumber does.
func (g *gen) docNumber(kind string, t int64) string {
	if g.numbers == nil {
		g.numbers = map[string]int{}
	}
	year := time.Unix(t, 0).In(crm.Zone).Year()
	key := kind + "-" + strconv.Itoa(year)
	g.numbers[key]++
	return fmt.Sprintf("%s-%d-%05d", kind, year, g.numbers[key])
}

func (g *gen) writeQuotes(ctx context.Context) error {
	return g.copy(ctx, "quotes", "id, number, customer_id, opportunity_id, quote_date, valid_until, status, total, "+
		"notes, order_id, owner_id, department_id, created_by, customer_owner_id, customer_department_id, created_at, updated_at", func(w *rows) {
		for k, q := range g.quotes {
			c := &g.customers[q.cust]
			w.int(int64(k + 1)).text(g.docNumber("BJ", q.created)).int(int64(q.cust + 1)).id(int64(q.opp)).date(q.created).
				date(q.created + 30*day).text(quoteStatus[q.status]).money(q.total).text("").id(int64(q.order)).
				int(int64(c.owner)).id(int64(c.dept)).int(int64(c.owner)).int(int64(c.owner)).id(int64(c.dept)).
				time(q.created).time(q.created)
			w.end()
		}
	})
}

func (g *gen) writeQuoteLines(ctx context.Context) error {
	return g.copy(ctx, "quote_lines", "quote_id, position, product_id, unit_price, discount, quantity, subtotal", func(w *rows) {
		var buf []line
		for k, q := range g.quotes {
			buf = g.lines(q.seed, buf)
			for p, l := range buf {
				w.int(int64(k + 1)).int(int64(p + 1)).int(int64(l.product + 1)).money(l.price).discount(l.discount).
					int(l.quantity).money(l.subtotal)
				w.end()
			}
		}
	})
}

// approver is the head of the customer's department (every sales
// department has one), 0 for a customer without department.
func (g *gen) approver(dept int32) int64 { return g.headOf[int64(dept)] }

func (g *gen) writeOrders(ctx context.Context) error {
	return g.copy(ctx, "orders", "id, number, customer_id, opportunity_id, quote_id, sign_date, status, total, "+
		"paid_amount, invoiced_amount, notes, approver_id, submitted_by, submitted_at, decided_by, decided_at, "+
		"decision_comment, owner_id, department_id, created_by, customer_owner_id, customer_department_id, created_at, updated_at", func(w *rows) {
		for k, o := range g.orders {
			c := &g.customers[o.cust]
			var approver, decider, submitted, decided int64
			var sign int64
			comment := ""
			if o.status != orderDraft {
				approver = g.approver(c.dept)
				submitted = min(o.created+3600*int64(1+k%20), g.t1-600)
				sign = o.created
			}
			if o.status == orderApproved || o.status == orderRejected {
				decider = approver
				if decider == 0 {
					decider = g.ceo
				}
				decided = min(submitted+3600*int64(2+k%40), g.t1-300)
				comment = "同意。"
				if o.status == orderRejected {
					comment = "折扣过低，请重新报价。"
				}
			}
			submitter := int64(0)
			if submitted != 0 {
				submitter = int64(c.owner)
			}
			w.int(int64(k + 1)).text(g.docNumber("DD", o.created)).int(int64(o.cust + 1)).id(int64(o.opp)).id(int64(o.quote)).
				date(sign).text(orderStatus[o.status]).money(o.total).money(o.paid).money(o.invoiced).text("").
				id(approver).id(submitter).time(submitted).id(decider).time(decided).text(comment).
				int(int64(c.owner)).id(int64(c.dept)).int(int64(c.owner)).int(int64(c.owner)).id(int64(c.dept)).
				time(o.created).time(max(o.created, decided, submitted))
			w.end()
		}
	})
}

func (g *gen) writeOrderLines(ctx context.Context) error {
	return g.copy(ctx, "order_lines", "order_id, position, product_id, unit_price, discount, quantity, subtotal", func(w *rows) {
		var buf []line
		for k, o := range g.orders {
			buf = g.lines(o.seed, buf)
			for p, l := range buf {
				w.int(int64(k + 1)).int(int64(p + 1)).int(int64(l.product + 1)).money(l.price).discount(l.discount).
					int(l.quantity).money(l.subtotal)
				w.end()
			}
		}
	})
}

// writeMoney writes the payments and then the invoices of the approved
// orders, recorded by the order's owner or by finance, confirmed by
// finance.
func (g *gen) writeMoney(ctx context.Context) error {
	for _, invoices := range []bool{false, true} {
		table, cols := "payments", "order_id, customer_id, amount, paid_on, method, notes, confirmed, confirmed_by, confirmed_at, "+
			"owner_id, department_id, created_by, customer_owner_id, customer_department_id, created_at, updated_at"
		if invoices {
			table, cols = "invoices", "order_id, customer_id, amount, invoice_no, invoice_type, issued_on, notes, confirmed, "+
				"confirmed_by, confirmed_at, owner_id, department_id, created_by, customer_owner_id, customer_department_id, created_at, updated_at"
		}
		err := g.copy(ctx, table, cols, func(w *rows) {
			no := 0
			for k := range g.orders {
				o := &g.orders[k]
				if o.status != orderApproved {
					continue
				}
				c := &g.customers[o.cust]
				g.money(k, func(m money) {
					if m.invoice != invoices {
						return
					}
					no++
					by := int64(c.owner)
					if no%3 == 0 {
						by = g.finance[no%len(g.finance)]
					}
					var confirmedBy, confirmedAt int64
					if m.confirmed {
						confirmedBy, confirmedAt = g.finance[(no/7)%len(g.finance)], min(m.at+2*day, g.t1-60)
					}
					w.int(int64(k + 1)).int(int64(o.cust + 1)).money(m.amount)
					if invoices {
						w.text(fmt.Sprintf("%08d", 10_000_000+no)).text([]string{"normal", "special"}[no%2]).date(m.at)
					} else {
						w.date(m.at).text(paymentMethods[no%len(paymentMethods)])
					}
					w.text("").bool(m.confirmed).id(confirmedBy).time(confirmedAt).int(by).id(g.deptOf[by]).int(by).
						int(int64(c.owner)).id(int64(c.dept)).time(m.at).time(max(m.at, confirmedAt))
					w.end()
				})
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// writeCounters sets the numbering counters past the generated numbers.
func (g *gen) writeCounters(ctx context.Context) error {
	return g.copy(ctx, "doc_counters", "kind, year, last", func(w *rows) {
		for key, last := range g.numbers {
			kind, year, _ := strings.Cut(key, "-")
			y, _ := strconv.Atoi(year)
			w.text(kind).int(int64(y)).int(int64(last))
			w.end()
		}
	})
}
