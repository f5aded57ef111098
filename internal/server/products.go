package server

import (
	"net/http"

	"crm/internal/crm"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web/views"
)

// Products (产品, SPEC §4): the catalogue. Everyone signed in browses it —
// quotes and orders pick from it — and only crm.CanManageProducts (admin,
// management) adds, edits, deactivates and activates; the others get 403.
// Products are never deleted (SPEC §5: lines refer to them).

func (s *Server) handleProducts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var f crm.ProductFilter
	f.Parse(r.URL.Query())
	products, total, err := s.db.FindProducts(ctx, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cats, err := s.db.ProductCategories(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.ProductsIndex(views.ProductsProps{Products: products, Total: total, Filter: f,
		Categories: cats, CanManage: crm.CanManageProducts(webctx.Actor(ctx))}))
}

// productByPath loads the product of the URL (404 when there is none),
// answering the request itself on failure.
func (s *Server) productByPath(w http.ResponseWriter, r *http.Request) (crm.Product, bool) {
	id, err := pathID(r)
	if err == nil {
		var p crm.Product
		if p, err = s.db.ProductByID(r.Context(), id); err == nil {
			return p, true
		}
	}
	s.fail(w, r, err)
	return crm.Product{}, false
}

// manageableProduct is productByPath for a change: 404 when there is no
// such product, 403 unless the actor may manage products.
func (s *Server) manageableProduct(w http.ResponseWriter, r *http.Request) (crm.Product, bool) {
	p, ok := s.productByPath(w, r)
	if ok && !crm.CanManageProducts(webctx.Actor(r.Context())) {
		s.fail(w, r, crm.ErrForbidden)
		return p, false
	}
	return p, ok
}

func (s *Server) handleProduct(w http.ResponseWriter, r *http.Request) {
	p, ok := s.productByPath(w, r)
	if !ok {
		return
	}
	hist, err := s.db.History(r.Context(), crm.ResProduct, p.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.ProductShow(views.ProductShowProps{Product: p, History: hist,
		CanManage: crm.CanManageProducts(webctx.Actor(r.Context()))}))
}

// renderProductForm renders the create (p.ID 0) or edit form with the
// categories in use as suggestions.
func (s *Server) renderProductForm(w http.ResponseWriter, r *http.Request, status int, p views.ProductFormProps) {
	var err error
	if p.Categories, err = s.db.ProductCategories(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, views.ProductForm(p))
}

func (s *Server) handleProductNew(w http.ResponseWriter, r *http.Request) {
	if !crm.CanManageProducts(webctx.Actor(r.Context())) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	s.renderProductForm(w, r, http.StatusOK, views.ProductFormProps{})
}

// productInput reads the posted form: the typed input for the domain, the
// values as typed for a re-render, and every problem found on the way.
func productInput(f *form) (crm.ProductInput, views.ProductFormValues, error) {
	in := crm.ProductInput{SKU: f.text("sku"), Name: f.text("name"), Category: f.text("category"), Unit: f.text("unit"),
		ListPrice: f.money("list_price"), Description: f.text("description")}
	v := views.ProductFormValues{SKU: f.text("sku"), Name: f.text("name"), Category: f.text("category"),
		Unit: f.text("unit"), ListPrice: f.text("list_price"), Description: f.text("description")}
	return in, v, f.err(in.Validate())
}

// productFailure re-renders the form (422) for field errors — bad input,
// or a taken SKU — and answers the rest with its page.
func (s *Server) productFailure(w http.ResponseWriter, r *http.Request, p views.ProductFormProps, err error) {
	if fe := crm.FieldErrors(err); fe != nil {
		p.Errors = fe
		s.renderProductForm(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	s.fail(w, r, err)
}

func (s *Server) handleProductCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	if !crm.CanManageProducts(a) {
		s.fail(w, r, crm.ErrForbidden)
		return
	}
	in, values, err := productInput(newForm(r))
	var id int64
	if err == nil {
		id, err = s.db.CreateProduct(ctx, a, in)
	}
	if err != nil {
		s.productFailure(w, r, views.ProductFormProps{Values: values}, err)
		return
	}
	s.flash(r, "ok", "product.created", in.Name)
	s.redirect(w, r, route.Product(id))
}

func (s *Server) handleProductEdit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.manageableProduct(w, r)
	if !ok {
		return
	}
	s.renderProductForm(w, r, http.StatusOK, views.ProductFormProps{ID: p.ID, Name: p.Name, Values: views.ProductValues(p)})
}

func (s *Server) handleProductUpdate(w http.ResponseWriter, r *http.Request) {
	p, ok := s.manageableProduct(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v := views.ProductValues(p)
	in, values, err := productInput(editForm(r, fields("sku", v.SKU, "name", v.Name, "category", v.Category,
		"unit", v.Unit, "list_price", v.ListPrice, "description", v.Description)))
	if err == nil {
		err = s.db.UpdateProduct(ctx, webctx.Actor(ctx), p.ID, in)
	}
	if err != nil {
		s.productFailure(w, r, views.ProductFormProps{ID: p.ID, Name: p.Name, Values: values}, err)
		return
	}
	s.flash(r, "ok", "product.saved", in.Name)
	s.redirect(w, r, route.Product(p.ID))
}

// handleProductActive deactivates (停用) or activates a product and goes
// back to its page (or the form's local "back").
func (s *Server) handleProductActive(active bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.manageableProduct(w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		if err := s.db.SetProductActive(ctx, webctx.Actor(ctx), p.ID, active); err != nil {
			s.fail(w, r, err)
			return
		}
		key := "product.deactivated"
		if active {
			key = "product.activated"
		}
		s.flash(r, "ok", key, p.Name)
		s.redirect(w, r, backOr(r, route.Product(p.ID)))
	}
}
