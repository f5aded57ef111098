package server

import (
	"net/http"
	"strconv"
	"unicode/utf8"

	"crm/internal/crm"
	"crm/internal/route"
	"crm/web/views"
)

// The value lists (选项设置: 来源, 行业, 客户级别, 活动类型, 跟进方式) on one
// admin page. The route group already requires crm.CanManageOrganisation.

// optionsBack is the page to return to after a change in list kind.
func optionsBack(kind crm.OptionKind) string { return route.Options + "#" + views.OptionAnchor(kind) }

func (s *Server) handleOptions(w http.ResponseWriter, r *http.Request) {
	s.renderOptions(w, r, http.StatusOK, views.OptionsProps{})
}

// renderOptions renders the page with every list and its use counts; p
// carries a failed form, if any.
func (s *Server) renderOptions(w http.ResponseWriter, r *http.Request, status int, p views.OptionsProps) {
	for _, k := range crm.OptionKinds {
		opts, err := s.db.OptionsWithUse(r.Context(), k)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Lists = append(p.Lists, views.OptionList{Kind: k, Options: opts})
	}
	s.render(w, r, status, views.OptionsIndex(p))
}

// Limits of a value's names: they show in selects and table cells.
const (
	maxOptionName   = 50
	maxOptionNameEn = 100
)

// optionNames reads and checks a value's names: the Chinese name is
// required, the English one optional (pages in English fall back to the
// Chinese name).
func optionNames(f *form) (name, nameEn string, err error) {
	var v crm.Invalid
	name, nameEn = crm.CleanText(f.text("name")), crm.CleanText(f.text("name_en"))
	switch {
	case name == "":
		v.Add("name", "error.required")
	case utf8.RuneCountInString(name) > maxOptionName:
		v.Add("name", crm.TooLong(maxOptionName))
	}
	if utf8.RuneCountInString(nameEn) > maxOptionNameEn {
		v.Add("name_en", crm.TooLong(maxOptionNameEn))
	}
	return name, nameEn, v.Err()
}

// optionFailure re-renders the page for the form failed: 422 with field
// messages (a missing or taken name), 409 with a refusal (a value in use).
func (s *Server) optionFailure(w http.ResponseWriter, r *http.Request, p views.OptionsProps, err error) {
	if f := crm.FieldErrors(err); f != nil {
		p.Errors = f
		s.renderOptions(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if crm.ErrorCode(err) == crm.ECONFLICT {
		e := err.(*crm.Error)
		p.Error, p.ErrorArgs = e.Message, e.Args
		s.renderOptions(w, r, http.StatusConflict, p)
		return
	}
	s.fail(w, r, err)
}

func (s *Server) handleOptionAdd(w http.ResponseWriter, r *http.Request) {
	kind := crm.OptionKind(r.PostFormValue("kind"))
	if !kind.Valid() {
		s.fail(w, r, &crm.Error{Code: crm.EINVALID, Message: "error.choose", Fields: map[string]string{"kind": "error.choose"}})
		return
	}
	name, nameEn, err := optionNames(newForm(r))
	if err == nil {
		_, err = s.db.AddOption(r.Context(), kind, name, nameEn, false)
	}
	if err != nil {
		s.optionFailure(w, r, views.OptionsProps{Failed: "new:" + string(kind), Name: name, NameEn: nameEn}, err)
		return
	}
	s.flash(r, "ok", "option.added", name)
	s.redirect(w, r, optionsBack(kind))
}

// optionByPath loads the value of the URL (404 if there is none).
func (s *Server) optionByPath(w http.ResponseWriter, r *http.Request) (crm.Option, bool) {
	id, err := pathID(r)
	if err == nil {
		var o crm.Option
		if o, err = s.db.OptionByID(r.Context(), id); err == nil {
			return o, true
		}
	}
	s.fail(w, r, err)
	return crm.Option{}, false
}

func (s *Server) handleOptionRename(w http.ResponseWriter, r *http.Request) {
	o, ok := s.optionByPath(w, r)
	if !ok {
		return
	}
	name, nameEn, err := optionNames(editForm(r, fields("name", o.Name, "name_en", o.NameEn)))
	if err == nil {
		err = s.db.RenameOption(r.Context(), o.ID, name, nameEn)
	}
	if err != nil {
		s.optionFailure(w, r, views.OptionsProps{Failed: "opt:" + strconv.FormatInt(o.ID, 10), Name: name, NameEn: nameEn}, err)
		return
	}
	s.flash(r, "ok", "option.saved", name)
	s.redirect(w, r, optionsBack(o.Kind))
}

// handleOptionMove moves a value one place up or down in its list.
func (s *Server) handleOptionMove(w http.ResponseWriter, r *http.Request) {
	o, ok := s.optionByPath(w, r)
	if !ok {
		return
	}
	var delta int
	switch r.PostFormValue("direction") {
	case "up":
		delta = -1
	case "down":
		delta = 1
	default:
		s.fail(w, r, &crm.Error{Code: crm.EINVALID, Message: "error.choose", Fields: map[string]string{"direction": "error.choose"}})
		return
	}
	if err := s.db.MoveOption(r.Context(), o.ID, delta); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, optionsBack(o.Kind))
}

// handleOptionDelete deletes a value no record uses; one in use is refused
// with the reason (409).
func (s *Server) handleOptionDelete(w http.ResponseWriter, r *http.Request) {
	o, ok := s.optionByPath(w, r)
	if !ok {
		return
	}
	if err := s.db.DeleteOption(r.Context(), o.ID); err != nil {
		s.optionFailure(w, r, views.OptionsProps{Failed: "opt:" + strconv.FormatInt(o.ID, 10)}, err)
		return
	}
	s.flash(r, "ok", "option.deleted", o.Name)
	s.redirect(w, r, optionsBack(o.Kind))
}
