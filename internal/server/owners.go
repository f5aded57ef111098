package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web/views"
)

// Owner pickers and list tabs, shared by the lead and customer pages.

// ownerChoices is the owner picker of a new lead or customer: myself, the
// employees a may assign to, and the pools of the departments a may fill.
// It is empty for those who may only create for themselves.
func (s *Server) ownerChoices(ctx context.Context, a crm.Actor, res crm.Resource) ([]views.OwnerChoice, error) {
	if !crm.CanCreateInPool(a, res) {
		return nil, nil
	}
	emps, err := s.db.Assignees(ctx, a)
	if err != nil {
		return nil, err
	}
	depts, err := s.db.Departments(ctx)
	if err != nil {
		return nil, err
	}
	out := []views.OwnerChoice{{Value: "", Label: webctx.T(ctx, "owner.me")}}
	for _, e := range emps {
		if e.ID == a.ID {
			continue
		}
		label := e.Name
		if e.DepartmentName != "" {
			label += " · " + e.DepartmentName
		}
		out = append(out, views.OwnerChoice{Value: "e:" + strconv.FormatInt(e.ID, 10), Label: label})
	}
	for _, d := range depts {
		if a.Role == crm.RoleSalesManager && !a.InScope(d.ID) {
			continue
		}
		out = append(out, views.OwnerChoice{Value: "p:" + strconv.FormatInt(d.ID, 10),
			Label: webctx.T(ctx, "owner.pool_dept") + d.Name})
	}
	return out, nil
}

// parseOwner reads the owner picker ("" myself, "e:ID", "p:ID").
func parseOwner(v string) postgres.NewOwner {
	kind, rest, _ := strings.Cut(v, ":")
	id, _ := strconv.ParseInt(rest, 10, 64)
	switch kind {
	case "e":
		return postgres.NewOwner{OwnerID: id}
	case "p":
		return postgres.NewOwner{Pool: true, PoolDepartmentID: id}
	}
	return postgres.NewOwner{}
}

// ownedResource is the lead or the customer list, for the handlers of the
// ownership actions (claim, release, assign, bulk) they share.
type ownedResource struct {
	res  crm.Resource
	list string             // where a bulk action goes back to
	page func(int64) string // a record's page, where an action goes back to
}

var (
	leadsOwned     = ownedResource{crm.ResLead, route.Leads, route.Lead[int64]}
	customersOwned = ownedResource{crm.ResCustomer, route.Customers, route.Customer[int64]}
)

// ownerFlashes are the flash messages of the ownership actions.
var ownerFlashes = map[crm.Action]string{crm.ActClaim: "flash.claimed", crm.ActRelease: "flash.released",
	crm.ActAssign: "flash.assigned"}

// handleOwnerAction claims, releases or assigns (owner_id) one lead or
// customer. The storage checks the policy inside the transaction; a lost
// race answers 409.
func (s *Server) handleOwnerAction(o ownedResource, act crm.Action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id, err := pathID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var owner int64
		if act == crm.ActAssign {
			owner = formID(r, "owner_id", &crm.Invalid{})
		}
		if err := s.db.ChangeOwner(ctx, webctx.Actor(ctx), o.res, act, id, owner); err != nil {
			s.actionFailed(w, r, err)
			return
		}
		var args []any
		if act == crm.ActAssign {
			e, _ := s.db.EmployeeByID(ctx, owner)
			args = append(args, e.Name)
		}
		s.flash(r, "ok", ownerFlashes[act], args...)
		s.redirect(w, r, backOr(r, o.page(id)))
	}
}

// handleOwnerBulk claims, releases or assigns the selected leads or
// customers; each row goes through the same checked workflow, and the
// flash says how many were done and how many skipped.
func (s *Server) handleOwnerBulk(o ownedResource) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		a := webctx.Actor(ctx)
		ids := bulkIDs(r)
		back := backOr(r, o.list)
		if len(ids) == 0 {
			s.flash(r, "error", "error.select_rows")
			s.redirect(w, r, back)
			return
		}
		act := crm.Action(r.PostFormValue("action"))
		if _, ok := ownerFlashes[act]; !ok {
			s.fail(w, r, crm.Errorf(crm.EINVALID, "error.choose"))
			return
		}
		owner := formID(r, "owner_id", &crm.Invalid{})
		done, skipped := 0, 0
		for _, id := range ids {
			switch err := s.db.ChangeOwner(ctx, a, o.res, act, id, owner); crm.ErrorCode(err) {
			case "":
				done++
			case crm.ENOTFOUND, crm.EFORBIDDEN, crm.ECONFLICT, crm.EINVALID:
				skipped++
			default:
				s.fail(w, r, err)
				return
			}
		}
		kind := "ok"
		if done == 0 {
			kind = "error"
		}
		s.flash(r, kind, "flash.bulk", done, skipped)
		s.redirect(w, r, back)
	}
}

// bulkActions are the row and bulk actions a list of leads or customers
// (rows, id naming each) offers a.
func bulkActions[T interface{ Record() crm.Record }](a crm.Actor, rows []T, id func(T) int64) views.BulkActions {
	b := views.BulkActions{Rows: map[int64]views.RowActions{}}
	for _, row := range rows {
		rec := row.Record()
		ra := views.RowActions{Claim: crm.CanDo(a, crm.ActClaim, rec), Release: crm.CanDo(a, crm.ActRelease, rec)}
		b.Rows[id(row)] = ra
		b.CanClaim = b.CanClaim || ra.Claim
		b.CanRelease = b.CanRelease || ra.Release
		b.CanAssign = b.CanAssign || crm.CanDo(a, crm.ActAssign, rec)
	}
	return b
}

// ownedListChoices loads the pickers the lead and customer lists share:
// the campaigns (keeping campaign, the one filtered by), owners and
// departments to filter by, and the assignees of the bulk assign when b
// offers it.
func (s *Server) ownedListChoices(r *http.Request, campaign int64, b *views.BulkActions) (views.OwnedListChoices, error) {
	ctx := r.Context()
	var c views.OwnedListChoices
	var err error
	if c.Campaigns, err = s.filterCampaigns(r, campaign); err != nil {
		return c, err
	}
	if c.Owners, err = s.db.ActiveEmployees(ctx); err != nil {
		return c, err
	}
	if b.CanAssign {
		if b.Assignees, err = s.db.Assignees(ctx, webctx.Actor(ctx)); err != nil {
			return c, err
		}
	}
	c.Departments, err = s.db.Departments(ctx)
	return c, err
}

// ownerActions are the ownership actions a record's page offers a on
// rec, with the assignees when it offers to assign.
func (s *Server) ownerActions(ctx context.Context, a crm.Actor, rec crm.Record) (views.OwnerActions, error) {
	o := views.OwnerActions{CanClaim: crm.CanDo(a, crm.ActClaim, rec), CanRelease: crm.CanDo(a, crm.ActRelease, rec),
		CanAssign: crm.CanDo(a, crm.ActAssign, rec)}
	var err error
	if o.CanAssign {
		o.Assignees, err = s.db.Assignees(ctx, a)
	}
	return o, err
}

// recordPost answers a POST that runs do on the record of the URL (a
// delete, a make-primary): the error's page when it fails, else the flash
// and a redirect to next(id).
func (s *Server) recordPost(w http.ResponseWriter, r *http.Request, do func(context.Context, crm.Actor, int64) error,
	flash string, next func(id int64) string) {
	id, err := pathID(r)
	if err == nil {
		err = do(r.Context(), webctx.Actor(r.Context()), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", flash)
	s.redirect(w, r, next(id))
}
