package gen

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// The plan: every record as a compact skeleton (ids are positions + 1,
// money in cents, times in Unix seconds). Employees and departments are
// their database ids; 0 is none.

type product struct{ price int64 }

type campaign struct {
	start, end int64
	owner      int64
	leads      int32
	customers  int32
	deal       int64
}

type lead struct {
	created, converted, last, next int64
	deal                           int64
	owner, creator, dept           int32
	campaign                       int32
	customer                       int32 // converted into customer (index + 1)
	deals                          int32
	status                         uint8
}

// Lead statuses of the plan.
const (
	leadNew uint8 = iota
	leadFollowing
	leadConverted
	leadInvalid
)

var leadStatus = []string{"new", "following", "converted", "invalid"}

type customer struct {
	created, last, next   int64
	deal, paid, invoiced  int64
	owner, creator, dept  int32
	campaign, lead, deals int32
	firstOpp              int32 // first opportunity (index + 1), chained by gen.oppNext
}

type opportunity struct {
	created, changed, close, last int64
	amount                        int64
	cust                          int32
	stage                         uint8
}

var oppStages = []string{"initial", "needs", "proposal", "negotiation", "won", "lost"}

type quote struct {
	created int64
	total   int64
	seed    uint64 // its lines (and those of the order made from it)
	cust    int32
	opp     int32
	order   int32
	status  uint8
}

var quoteStatus = []string{"draft", "sent", "accepted", "rejected", "expired"}

const quoteAccepted = 2

type order struct {
	created               int64
	total, paid, invoiced int64
	seed                  uint64
	cust, opp, quote      int32
	status                uint8
}

var orderStatus = []string{"draft", "pending", "approved", "rejected"}

const (
	orderDraft uint8 = iota
	orderPending
	orderApproved
	orderRejected
)

type followUp struct {
	at     int64
	parent int32 // customer or lead index
	opp    int32 // opportunity (index + 1), 0 none
	next   int32 // seconds after at of the next follow-up, 0 none
	lead   bool
}

// slot is who owns a share of the records: an employee, or a pool.
type slot struct{ owner, dept int64 }

// choose returns the index of the weight a uniform x falls in.
func choose(cum []float64, x float64) int {
	i := sort.SearchFloat64s(cum, x*cum[len(cum)-1])
	return min(i, len(cum)-1)
}

// weighted picks an index by weights.
func weighted(r *rand.Rand, w ...float64) uint8 {
	x := r.Float64() * sumOf(w)
	for i, v := range w {
		if x < v {
			return uint8(i)
		}
		x -= v
	}
	return uint8(len(w) - 1)
}

func sumOf(w []float64) float64 {
	s := 0.0
	for _, v := range w {
		s += v
	}
	return s
}

// plan draws every record's skeleton and computes the figures the write
// paths would have kept.
func (g *gen) plan() {
	n := g.cfg.Customers
	r := rand.New(rand.NewPCG(g.cfg.Seed, 100))

	// Who owns what share.
	var slots []slot
	var cum, poolCum []float64
	var pools []slot
	total := 0.0
	for i, e := range g.emps {
		if e.share > 0 {
			total += e.share
			slots = append(slots, slot{g.empID[i], g.deptID[e.dept]})
			cum = append(cum, total)
		}
	}
	ptotal := 0.0
	for i, d := range deptDefs {
		if d.pool > 0 {
			total += d.pool
			ptotal += d.pool
			slots = append(slots, slot{0, g.deptID[i]})
			cum = append(cum, total)
			pools = append(pools, slot{0, g.deptID[i]})
			poolCum = append(poolCum, ptotal)
		}
	}
	total += noDeptPool
	slots = append(slots, slot{0, 0})
	cum = append(cum, total)

	member := func(dept int64) int64 {
		m := g.byDept[dept]
		if len(m) == 0 {
			return g.ceo
		}
		return m[r.IntN(len(m))]
	}
	creatorOf := func(owner, dept int64) int64 {
		if owner == 0 {
			if h := g.headOf[dept]; h != 0 && r.IntN(10) < 7 {
				return h
			}
			return g.mkt[r.IntN(len(g.mkt))]
		}
		switch x := r.IntN(100); {
		case x < 85:
			return owner
		case x < 95 && g.headOf[dept] != 0:
			return g.headOf[dept]
		default:
			return member(dept)
		}
	}

	// Campaigns: 50 over the five years, two still planned.
	g.campaigns = make([]campaign, 50)
	for k := range g.campaigns {
		c := &g.campaigns[k]
		c.start = g.t0 + int64(k)*(g.t1-g.t0)/48
		c.end = c.start + int64(14+r.IntN(47))*day
		c.owner = g.mkt[k%len(g.mkt)]
	}
	campaignFor := func(t int64) int32 {
		k := int((t-g.t0)*48/(g.t1-g.t0)) - r.IntN(3)
		if k < 0 || g.campaigns[k].start > t {
			return 0
		}
		return int32(k + 1)
	}

	// Customers, in creation order; 30 % converted from a lead.
	g.customers = make([]customer, n)
	nleads := n * 3 / 2
	g.leads = make([]lead, 0, nleads)
	span := g.t1 - g.t0 - day
	for i := range g.customers {
		c := &g.customers[i]
		c.created = g.t0 + int64((float64(i)+r.Float64())/float64(n)*float64(span))
		s := slots[choose(cum, r.Float64())]
		c.owner, c.dept = int32(s.owner), int32(s.dept)
		c.creator = int32(creatorOf(s.owner, s.dept))
		if r.IntN(10) < 3 {
			l := lead{created: max(g.t0, c.created-int64(3600+r.IntN(60*day))), converted: c.created,
				owner: c.owner, dept: c.dept, customer: int32(i + 1), status: leadConverted}
			l.creator = c.owner
			if l.creator == 0 || r.IntN(10) < 3 {
				l.creator = int32(g.mkt[r.IntN(len(g.mkt))])
			}
			if r.IntN(10) < 4 {
				l.campaign = campaignFor(l.created)
			}
			c.campaign = l.campaign
			g.leads = append(g.leads, l)
		} else if r.IntN(20) == 0 {
			c.campaign = campaignFor(c.created)
		}
	}

	// The other leads: 12 % in a pool, 5 % still with marketing, the rest
	// owned like the customers.
	for len(g.leads) < nleads {
		l := lead{created: between(r, g.t0, g.t1-3600)}
		switch x := r.Float64(); {
		case x < 0.12:
			p := pools[choose(poolCum, r.Float64())]
			l.dept = int32(p.dept)
		case x < 0.17:
			m := g.mkt[r.IntN(len(g.mkt))]
			l.owner, l.dept = int32(m), int32(g.deptOf[m])
		default:
			s := slots[choose(cum, r.Float64())]
			l.owner, l.dept = int32(s.owner), int32(s.dept)
		}
		l.creator = int32(creatorOf(int64(l.owner), int64(l.dept)))
		if r.IntN(4) == 0 {
			l.creator = int32(g.mkt[r.IntN(len(g.mkt))])
		}
		l.status = []uint8{leadNew, leadFollowing, leadInvalid}[weighted(r, 40, 35, 25)]
		if r.IntN(4) == 0 {
			l.campaign = campaignFor(l.created)
		}
		g.leads = append(g.leads, l)
	}
	slices.SortStableFunc(g.leads, func(a, b lead) int { return cmp.Compare(a.created, b.created) })
	for i, l := range g.leads {
		if l.customer != 0 {
			g.customers[l.customer-1].lead = int32(i + 1)
		}
	}

	// Deals go to owned customers, skewed: a few key accounts have
	// hundreds of opportunities and orders, most customers none.
	var owned []int32
	for i, c := range g.customers {
		if c.owner != 0 {
			owned = append(owned, int32(i))
		}
	}
	m := int64(len(owned))
	skewed := func() int32 {
		u := r.Float64()
		k := int64(float64(m) * u * u)
		return owned[(k*2147483647)%m]
	}

	// Opportunities.
	g.opps = make([]opportunity, n*2/5)
	for k := range g.opps {
		o := &g.opps[k]
		o.cust = skewed()
		c := &g.customers[o.cust]
		o.created = c.created + int64(r.Float64()*0.95*float64(g.t1-c.created))
		o.stage = weighted(r, 20, 20, 15, 10, 20, 15)
		o.amount = int64(math.Exp(11.5+r.NormFloat64()*0.9)) * 100
		o.close = o.created + int64(30+r.IntN(150))*day
		o.changed = o.created
		if o.stage > 0 {
			o.changed = between(r, o.created, min(g.t1, o.close))
		}
	}
	slices.SortStableFunc(g.opps, func(a, b opportunity) int { return cmp.Compare(a.created, b.created) })
	g.oppNext = make([]int32, len(g.opps))
	for k := len(g.opps) - 1; k >= 0; k-- {
		c := &g.customers[g.opps[k].cust]
		g.oppNext[k] = c.firstOpp
		c.firstOpp = int32(k + 1)
	}

	// Products: 200.
	g.products = make([]product, 200)
	for k := range g.products {
		cat := productCategories[k%len(productCategories)]
		g.products[k].price = int64(cat.low+r.IntN(cat.high-cat.low)) * 100
		if r.IntN(3) == 0 {
			g.products[k].price += int64(r.IntN(100)) // some prices with cents
		}
	}

	// Quotes: three in four on an opportunity.
	g.quotes = make([]quote, n*3/10)
	for k := range g.quotes {
		q := &g.quotes[k]
		var base int64
		if len(g.opps) > 0 && r.IntN(4) != 0 {
			o := r.IntN(len(g.opps))
			q.opp, q.cust, base = int32(o+1), g.opps[o].cust, g.opps[o].created
		} else {
			q.cust = skewed()
			base = g.customers[q.cust].created
		}
		q.created = base + int64(r.Float64()*0.5*float64(g.t1-base))
		q.status = weighted(r, 15, 30, 40, 10, 5)
		q.seed = uint64(k + 1)
		q.total = g.linesTotal(q.seed)
	}
	slices.SortStableFunc(g.quotes, func(a, b quote) int { return cmp.Compare(a.created, b.created) })

	// Orders: one per accepted quote (its lines and prices), the rest
	// directly on a customer.
	norders := n * 3 / 10
	g.orders = make([]order, 0, norders)
	for k, q := range g.quotes {
		if q.status == quoteAccepted && len(g.orders) < norders {
			g.orders = append(g.orders, order{created: min(g.t1-3600, q.created+int64(1+r.IntN(14))*day+int64(r.IntN(day))),
				total: q.total, seed: q.seed, cust: q.cust, opp: q.opp, quote: int32(k + 1)})
		}
	}
	for k := 0; len(g.orders) < norders; k++ {
		o := order{cust: skewed(), seed: 1<<32 + uint64(k)}
		c := &g.customers[o.cust]
		if c.firstOpp != 0 && r.IntN(10) < 3 {
			o.opp = c.firstOpp
		}
		o.created = between(r, c.created, g.t1-3600)
		o.total = g.linesTotal(o.seed)
		g.orders = append(g.orders, o)
	}
	slices.SortStableFunc(g.orders, func(a, b order) int { return cmp.Compare(a.created, b.created) })
	for k := range g.orders {
		o := &g.orders[k]
		switch age := g.t1 - o.created; { // waiting for approval: recent orders
		case age < 7*day:
			o.status = weighted(r, 30, 40, 25, 5)
		case age < 30*day:
			o.status = weighted(r, 15, 4, 71, 10)
		default:
			o.status = weighted(r, 11, 0, 79, 10)
		}
		if o.quote != 0 {
			g.quotes[o.quote-1].order = int32(k + 1)
		}
		if o.status != orderApproved {
			continue
		}
		c := &g.customers[o.cust]
		c.deal += o.total
		c.deals++
		g.money(k, func(m money) {
			if !m.confirmed {
				return
			}
			if m.invoice {
				o.invoiced += m.amount
			} else {
				o.paid += m.amount
			}
		})
		c.paid += o.paid
		c.invoiced += o.invoiced
	}

	// Follow-ups: about four per customer (a few key accounts hundreds),
	// one or two per lead being followed or converted; then in time order.
	g.follows = make([]followUp, 0, n*5+n/10)
	for i, c := range g.customers {
		k := geometric(r, 3.7)
		if r.IntN(1000) == 0 {
			k = 100 + r.IntN(400)
		}
		for range k {
			f := followUp{at: between(r, c.created, g.t1-600), parent: int32(i)}
			if r.IntN(2) == 0 {
				f.next = int32(3+r.IntN(12)) * day
			}
			if c.firstOpp != 0 && r.IntN(4) == 0 && g.opps[c.firstOpp-1].created <= f.at {
				f.opp = c.firstOpp
			}
			g.follows = append(g.follows, f)
		}
	}
	for i, l := range g.leads {
		if l.status != leadFollowing && l.status != leadConverted {
			continue
		}
		end := min(g.t1-600, l.created+180*day)
		if l.status == leadConverted {
			end = l.converted
		}
		for range 1 + geometric(r, 0.39) {
			f := followUp{at: between(r, l.created, end), parent: int32(i), lead: true}
			if r.IntN(2) == 0 {
				f.next = int32(2+r.IntN(10)) * day
			}
			g.follows = append(g.follows, f)
		}
	}
	slices.SortStableFunc(g.follows, func(a, b followUp) int { return cmp.Compare(a.at, b.at) })
	for _, f := range g.follows {
		var last, next *int64
		if f.lead {
			last, next = &g.leads[f.parent].last, &g.leads[f.parent].next
		} else {
			last, next = &g.customers[f.parent].last, &g.customers[f.parent].next
		}
		*last = f.at
		if f.next != 0 {
			*next = f.at + int64(f.next)
		}
		if f.opp != 0 {
			g.opps[f.opp-1].last = f.at
		}
	}

	// Figures of converted leads and campaigns.
	for _, c := range g.customers {
		if c.lead != 0 {
			l := &g.leads[c.lead-1]
			l.deal, l.deals = c.deal, c.deals
		}
		if c.campaign != 0 {
			g.campaigns[c.campaign-1].customers++
			g.campaigns[c.campaign-1].deal += c.deal
		}
	}
	for _, l := range g.leads {
		if l.campaign != 0 {
			g.campaigns[l.campaign-1].leads++
		}
	}
}

// line is one line of a quote or order.
type line struct {
	product            int // index
	price, subtotal    int64
	discount, quantity int64 // discount in 1/10 000
}

// lines draws the lines of a document; the same seed gives the same lines.
func (g *gen) lines(seed uint64, buf []line) []line {
	r := g.rnd(saltOrder, seed)
	buf = buf[:0]
	for range 1 + int(weighted(r, 15, 20, 20, 20, 15, 10)) {
		p := r.IntN(len(g.products))
		l := line{product: p, price: g.products[p].price, discount: []int64{10000, 10000, 9500, 9000, 8500, 8000}[r.IntN(6)],
			quantity: int64(1 + r.IntN(20))}
		l.subtotal = (l.price*l.discount*l.quantity + 5000) / 10000 // half up, as crm.Line
		buf = append(buf, l)
	}
	return buf
}

func (g *gen) linesTotal(seed uint64) int64 {
	var t int64
	for _, l := range g.lines(seed, nil) {
		t += l.subtotal
	}
	return t
}

// money is a payment or an invoice of an approved order.
type money struct {
	invoice   bool
	amount    int64
	confirmed bool
	at        int64
}

// money draws the payments (one to four, 2.2 on average) and invoices (one,
// sometimes two) of approved order k, calling fn for each; the same order
// gives the same records. Their sums stay within the order total.
func (g *gen) money(k int, fn func(money)) {
	o := &g.orders[k]
	r := g.rnd(saltMoney, uint64(k))
	first := o.created + int64(5+r.IntN(30))*day
	n := 1 + int(weighted(r, 30, 30, 28, 12))
	left := o.total
	for i := range n {
		amount := left
		if i < n-1 {
			amount = left * int64(30+r.IntN(40)) / 100
		}
		if amount <= 0 {
			break
		}
		left -= amount
		at := first + int64(i*(20+r.IntN(40)))*day
		fn(money{amount: amount, confirmed: at < g.t1-7*day && r.IntN(100) < 92, at: min(at, g.t1-3600)})
	}
	ni := 1
	if r.IntN(9) == 0 {
		ni = 2
	}
	left = o.total
	for i := range ni {
		amount := left
		if ni == 2 && i == 0 {
			amount = left / 2
		}
		left -= amount
		at := first + int64(i*30+r.IntN(10))*day
		fn(money{invoice: true, amount: amount, confirmed: at < g.t1-7*day && r.IntN(100) < 85, at: min(at, g.t1-3600)})
	}
}
