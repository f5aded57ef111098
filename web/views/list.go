package views

import (
	"context"
	"net/url"
	"strconv"

	"crm/internal/crm"
	"crm/internal/route"
	"crm/web/views/ui"
)

// listLinks builds a list's links from its filter: the list's path and
// the filter's query string (crm.ListQuery and the filter's own fields,
// from the filter's Values), each link with one change. Tabs, sort
// headers, pages, the export button and the filter chips of every list
// use it, so that a link carries exactly what the list reads.
type listLinks struct {
	Path  string
	Query url.Values // the filter's Values()
	List  crm.ListQuery
}

// links is the link builder of a list at path showing filter f.
func links(path string, f interface{ Values() url.Values }, l crm.ListQuery) listLinks {
	return listLinks{Path: path, Query: f.Values(), List: l}
}

// url is the list's URL with change applied to a copy of its query.
func (l listLinks) url(change func(q url.Values)) string {
	q := make(url.Values, len(l.Query))
	for k, v := range l.Query {
		q[k] = append([]string(nil), v...)
	}
	change(q)
	return route.WithQuery(l.Path, q)
}

// self is the list's URL as it is.
func (l listLinks) self() string { return l.url(func(url.Values) {}) }

// tabs are the scope tabs, each the list on that tab from its first page.
func (l listLinks) tabs(tabs []crm.ListTab) []TabLink {
	out := make([]TabLink, 0, len(tabs))
	for _, tb := range tabs {
		out = append(out, TabLink{Tab: tb, Active: tb == l.List.Tab, Href: l.url(func(q url.Values) {
			q.Set("tab", string(tb))
			q.Del("page")
		})})
	}
	return out
}

// sort is a sortable column header: its link sorts by key (from the first
// page), the other direction when it is the current sort.
func (l listLinks) sort(ctx context.Context, key, label, class string) ui.SortProps {
	return ui.SortProps{Label: t(ctx, label), Key: key, Current: l.List.Sort, Desc: l.List.Desc, Class: class,
		URL: func(k string, d bool) string {
			return l.url(func(q url.Values) {
				q.Set("sort", k)
				q.Del("dir")
				if d {
					q.Set("dir", "desc")
				}
				q.Del("page")
			})
		}}
}

// pager is the list's pager over total rows.
func (l listLinks) pager(ctx context.Context, tot crm.Total) ui.PagerProps {
	return ui.PagerProps{Page: l.List.Page.Page, PerPage: l.List.Page.PerPage, Total: tot.N, Summary: total(ctx, tot),
		Prev: t(ctx, "list.prev"), Next: t(ctx, "list.next"),
		URL: func(n int) string { return l.url(func(q url.Values) { q.Set("page", strconv.Itoa(n)) }) }}
}
