package crm

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// CountCap is where list totals stop counting: above it a list says
// "10 000+" instead of counting millions of rows on every page view.
const CountCap = 10000

// Page is a request for one page of a list.
type Page struct {
	Page    int // 1-based
	PerPage int
}

// Norm fills defaults and bounds: 20 a page by default, 100 at most, and
// no deeper than the counted rows (offset pages stay cheap).
func (p Page) Norm() Page {
	if p.PerPage <= 0 {
		p.PerPage = 20
	}
	if p.PerPage > 100 {
		p.PerPage = 100
	}
	if p.Page < 1 {
		p.Page = 1
	}
	if max := CountCap/p.PerPage + 1; p.Page > max {
		p.Page = max
	}
	return p
}

// Total is a list's count, capped.
type Total struct {
	N      int
	Capped bool // more than CountCap
}

// ListQuery is what every list is asked in its query string besides its
// own filters: the scope tab, the search box, the sort and its direction,
// and the page. Each list's filter embeds it, parses it with Parse and
// writes it back with Values, so that a list's links (tabs, sort headers,
// pages, export, the dashboard's links into it) read what the list reads.
type ListQuery struct {
	Tab   ListTab
	Query string // the search box (q)
	Sort  string // a key of the list's sorts; unknown keys sort by default
	Desc  bool   // dir=desc
	Page  Page
}

// Parse reads tab, q, sort, dir and page from v. The tab is the one asked
// for when it is one of tabs (the actor's, crm.ListTabs), else the first
// of tabs; the page is normalised (Page.Norm).
func (l *ListQuery) Parse(v url.Values, tabs []ListTab) {
	l.Tab = ""
	if len(tabs) > 0 {
		l.Tab = tabs[0]
	}
	want := ListTab(v.Get("tab"))
	for _, t := range tabs {
		if t == want {
			l.Tab = t
		}
	}
	l.Query = v.Get("q")
	l.Sort = v.Get("sort")
	l.Desc = v.Get("dir") == "desc"
	l.Page.Page, _ = strconv.Atoi(v.Get("page"))
	l.Page = l.Page.Norm()
}

// Values is the query string of l: only what is set (page only past the
// first), so that a list's plain URL stays plain.
func (l ListQuery) Values() url.Values {
	q := url.Values{}
	SetValue(q, "tab", string(l.Tab))
	SetValue(q, "q", l.Query)
	SetValue(q, "sort", l.Sort)
	if l.Desc {
		q.Set("dir", "desc")
	}
	if l.Page.Page > 1 {
		q.Set("page", strconv.Itoa(l.Page.Page))
	}
	return q
}

// SetValue sets q's key to v unless v is empty or "0" (an id not set).
func SetValue(q url.Values, key, v string) {
	if v != "" && v != "0" {
		q.Set(key, v)
	}
}

// SetID sets q's key to id unless it is 0.
func SetID(q url.Values, key string, id int64) {
	if id != 0 {
		q.Set(key, strconv.FormatInt(id, 10))
	}
}

// SetDay sets q's key to the day d (YYYY-MM-DD in the CRM's zone) unless
// it is nil.
func SetDay(q url.Values, key string, d *time.Time) {
	if d != nil {
		q.Set(key, d.In(Zone).Format("2006-01-02"))
	}
}

// ValueID reads an optional id (a bad or negative one: 0).
func ValueID(v url.Values, key string) int64 {
	id, err := strconv.ParseInt(v.Get(key), 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}

// ValueDay reads an optional day (a bad one: none).
func ValueDay(v url.Values, key string) *time.Time {
	t, ok := ParseDay(v.Get(key))
	if !ok {
		return nil
	}
	return t
}

// ParseDay reads a day as people type it (2026-04-01, 2026/4/1) in the
// CRM's zone: nil for an empty s; false when s is not a day.
func ParseDay(s string) (*time.Time, bool) {
	s = CleanText(s)
	if s == "" {
		return nil, true
	}
	s = strings.ReplaceAll(s, "/", "-")
	for _, layout := range []string{"2006-01-02", "2006-1-2"} {
		if t, err := time.ParseInLocation(layout, s, Zone); err == nil {
			return &t, true
		}
	}
	return nil, false
}

// Due is the follow-up reminder filter of the lead and customer lists:
// "today", "overdue" or none.
func Due(v string) string {
	if v == "today" || v == "overdue" {
		return v
	}
	return ""
}
