package server

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/webctx"
	"crm/internal/xlsx"
	"crm/web/views"
)

// Excel exports of the lists (SPEC §6, §7: every list has 导出 Excel).
// GET /{list}/export.xlsx takes the list's own query string (tab, filters,
// sort; page is ignored) and writes every row of it — the same permission
// condition, built by the same functions as the list — up to
// xlsx.DefaultExportMaxRows, in the columns of the list's import template
// (see internal/xlsx export.go). A list that answers 403 (marketing:
// quotes, orders, payments, invoices; employees: admins only) exports
// nothing either.
//
// The file streams: the workbook is zipped onto the response as it is
// written (excelize's File.Write would zip it into memory first), and
// nothing in front of it buffers. The routes load the session read-only
// (loadSession) rather than through scs's LoadAndSave — older scs versions
// buffered whole responses there; v2.9 commits the session at the first
// write instead, and an export has nothing to commit — then authenticate
// and require a login like every page. GET only: the cross-origin check
// lets them through as it does every page, and an export changes nothing.

// exportSource builds a list's export query from the request: the list's
// filter for the actor, or an error (403) when the actor may not see it.
type exportSource func(r *http.Request, a crm.Actor) (postgres.ExportQuery, error)

// loadSession loads the session named by the request's cookie into the
// context, read-only: unlike LoadAndSave it neither buffers the response
// nor writes the session back, so an export streams. Whatever a handler
// behind it puts into the session is lost; authenticate's revocation of a
// dead session still happens in the store.
func (s *Server) loadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var token string
		if c, err := r.Cookie(s.sessions.Cookie.Name); err == nil {
			token = c.Value
		}
		ctx, err := s.sessions.Load(r.Context(), token)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Add("Vary", "Cookie")
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// handleExport streams the export of list: all its rows are read first
// (so that a refusal — too many rows, busy — is still an error page), then
// the workbook is zipped onto the response as it is written.
func (s *Server) handleExport(list string, source exportSource) http.HandlerFunc {
	e := xlsx.ExportByName(list)
	if e == nil {
		panic("server: no export for " + list)
	}
	ex := &xlsx.Exporter{DB: s.db}
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		a := webctx.Actor(ctx)
		l := webctx.Locale(ctx)
		q, err := source(r, a)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		file, err := ex.Build(ctx, e, q, l)
		if errors.Is(err, xlsx.ErrExportBusy) {
			w.Header().Set("Retry-After", "10")
			s.render(w, r, http.StatusTooManyRequests, views.ErrorPage(views.ErrorProps{Status: http.StatusTooManyRequests,
				Title: webctx.T(ctx, "import.busy_title"), Message: webctx.T(ctx, "export.busy", xlsx.ExportSlots()), SignedIn: true}))
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		defer file.Close()
		h := w.Header()
		h.Set("Content-Type", xlsxType)
		h.Set("Content-Disposition", attachment(xlsx.ExportFileName(e, l, time.Now())))
		h.Set("Cache-Control", "no-store")
		h.Set("X-Export-Rows", strconv.Itoa(file.Rows))
		w.WriteHeader(http.StatusOK)
		if _, err := file.WriteTo(w); err != nil {
			// Half a file went out (the client left, most likely): cut the
			// connection so that it is not taken for a whole one.
			s.log.Warn("export cut short", "id", webctx.Get(ctx).ID, "list", list, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
}

// areaExport refuses the export of an area the actor may not see (403, as
// its list).
func areaExport(area crm.Area, source exportSource) exportSource {
	return func(r *http.Request, a crm.Actor) (postgres.ExportQuery, error) {
		if !crm.CanSeeArea(a, area) {
			return postgres.ExportQuery{}, crm.ErrForbidden
		}
		return source(r, a)
	}
}

func campaignExport(r *http.Request, a crm.Actor) (postgres.ExportQuery, error) {
	f, _ := campaignFilter(r, a)
	return postgres.CampaignExport(a, f), nil
}

func leadExport(r *http.Request, a crm.Actor) (postgres.ExportQuery, error) {
	f, _ := leadFilter(r, a)
	return postgres.LeadExport(a, f), nil
}

func customerExport(r *http.Request, a crm.Actor) (postgres.ExportQuery, error) {
	f, _ := customerFilter(r, a)
	return postgres.CustomerExport(a, f), nil
}

// narrowedExport is the export of a list that can be narrowed to records
// (its filter's Parents): 404 when a may not view one of them, as the list.
func narrowedExport[F interface{ Parents() crm.ListParents }](s *Server, filter func(*http.Request, crm.Actor) F,
	query func(crm.Actor, F) postgres.ExportQuery) exportSource {
	return func(r *http.Request, a crm.Actor) (postgres.ExportQuery, error) {
		f := filter(r, a)
		var names views.FilterNames
		if _, err := s.listParents(r.Context(), a, f.Parents(), &names); err != nil {
			return postgres.ExportQuery{}, err
		}
		return query(a, f), nil
	}
}

// filterOnly drops the tabs of a list's filter reader.
func filterOnly[F any](read func(*http.Request, crm.Actor) (F, []crm.ListTab)) func(*http.Request, crm.Actor) F {
	return func(r *http.Request, a crm.Actor) F {
		f, _ := read(r, a)
		return f
	}
}

// The exports of the lists that can be narrowed to a parent record.
func (s *Server) contactExport() exportSource {
	return narrowedExport(s, filterOnly(contactFilter), postgres.ContactExport)
}

func (s *Server) followUpExport() exportSource {
	return narrowedExport(s, filterOnly(followUpFilter), postgres.FollowUpExport)
}

func (s *Server) opportunityExport() exportSource {
	return narrowedExport(s, listOf[crm.OpportunityFilter](crm.ResOpportunity), postgres.OpportunityExport)
}

func (s *Server) quoteExport() exportSource {
	return narrowedExport(s, listOf[crm.QuoteFilter](crm.ResQuote), postgres.QuoteExport)
}

func (s *Server) orderExport() exportSource {
	return narrowedExport(s, listOf[crm.OrderFilter](crm.ResOrder), postgres.OrderExport)
}

func (s *Server) paymentExport() exportSource {
	return narrowedExport(s, filterOnly(paymentFilter), postgres.PaymentExport)
}

func (s *Server) invoiceExport() exportSource {
	return narrowedExport(s, filterOnly(invoiceFilter), postgres.InvoiceExport)
}

// listOf reads the filter F of res's list.
func listOf[F any, P interface {
	*F
	Parse(url.Values, []crm.ListTab)
}](res crm.Resource) func(*http.Request, crm.Actor) F {
	return func(r *http.Request, a crm.Actor) F {
		f, _ := listFilter[F, P](r, a, res)
		return f
	}
}

func productExport(r *http.Request, _ crm.Actor) (postgres.ExportQuery, error) {
	var f crm.ProductFilter
	f.Parse(r.URL.Query())
	return postgres.ProductExport(f), nil
}

func employeeExport(r *http.Request, _ crm.Actor) (postgres.ExportQuery, error) {
	return postgres.EmployeeExport(employeeFilter(r)), nil
}
