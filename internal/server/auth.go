package server

import (
	"net"
	"net/http"
	"strings"
	"time"

	"crm/internal/crm"
	"crm/internal/i18n"
	"crm/internal/password"
	"crm/internal/postgres"
	"crm/internal/route"
	"crm/internal/webctx"
	"crm/web/views"
)

const localeCookie = "crm_lang"

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	if !webctx.Actor(r.Context()).IsZero() {
		s.redirect(w, r, safeNext(r.URL.Query().Get("next")))
		return
	}
	s.render(w, r, http.StatusOK, views.Login(views.LoginProps{Next: r.URL.Query().Get("next")}))
}

// clientAddr is the peer address used for login throttling. Forwarded
// headers are not trusted: anyone could send them to dodge the limit.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// handleLogin checks the credentials. Failures are counted per username and
// per address: from the third on each attempt is slowed, from the tenth the
// key is refused for a while. The message never says which of username and
// password was wrong, and an unknown username costs as much time as a wrong
// password.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	username := strings.ToLower(crm.CleanText(r.PostFormValue("username")))
	pw := r.PostFormValue("password")
	next := r.PostFormValue("next")
	form := views.LoginProps{Username: username, Next: next}
	keys := []string{"user:" + username, "addr:" + clientAddr(r)}

	failures, locked, err := s.db.LoginThrottle(ctx, keys...)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if locked {
		form.Error = webctx.T(ctx, "login.locked", int(postgres.ThrottleLockFor/time.Minute))
		s.render(w, r, http.StatusTooManyRequests, views.Login(form))
		return
	}
	if failures >= postgres.ThrottleSlowAfter {
		wait := time.Duration(failures-postgres.ThrottleSlowAfter+1) * s.delay
		select {
		case <-time.After(min(wait, 6*s.delay)):
		case <-ctx.Done():
			return
		}
	}
	c, err := s.db.CredentialsByUsername(ctx, username)
	ok := false
	switch {
	case err == nil:
		ok, err = password.Verify(pw, c.PasswordHash)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ok = ok && c.Employee.Active
	case isNotFound(err):
		password.Burn(pw)
	default:
		s.fail(w, r, err)
		return
	}
	if !ok {
		if err := s.db.RecordLoginFailure(ctx, keys...); err != nil {
			s.fail(w, r, err)
			return
		}
		form.Error = webctx.T(ctx, "login.failed")
		s.render(w, r, http.StatusUnauthorized, views.Login(form))
		return
	}
	if err := s.db.ClearLoginFailures(ctx, keys[0]); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.signIn(ctx, c); err != nil {
		s.fail(w, r, err)
		return
	}
	if c.Employee.MustChangePassword {
		s.redirect(w, r, route.Profile)
		return
	}
	s.redirect(w, r, safeNext(next))
}

// handleLogout ends the session: the old token is revoked in the store and
// a fresh, empty session carries the goodbye message.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.sessions.Clear(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "ok", "login.logged_out")
	s.redirect(w, r, route.Login)
}

// handleLocale switches the language: stored on the employee when signed
// in, and in a cookie for the login page.
func (s *Server) handleLocale(w http.ResponseWriter, r *http.Request) {
	l := i18n.Parse(r.PostFormValue("lang"))
	if l == "" {
		l = i18n.ZH
	}
	http.SetCookie(w, &http.Cookie{Name: localeCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure})
	if a := webctx.Actor(r.Context()); !a.IsZero() {
		if err := s.db.SetLocale(r.Context(), a.ID, string(l)); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.redirect(w, r, safeNext(r.PostFormValue("next")))
}

func (s *Server) profileProps(r *http.Request) (views.ProfileProps, error) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	e, err := s.db.EmployeeByID(ctx, a.ID)
	if err != nil {
		return views.ProfileProps{}, err
	}
	return views.ProfileProps{Username: e.Username, RoleLabel: webctx.T(ctx, "role."+string(e.Role)),
		DepartmentName: e.DepartmentName, Name: e.Name, Email: e.Email, Phone: e.Phone, Locale: e.Locale,
		MustChange: e.MustChangePassword}, nil
}

func (s *Server) handleProfile(w http.ResponseWriter, r *http.Request) {
	p, err := s.profileProps(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.Profile(p))
}

func (s *Server) handleProfileUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := s.profileProps(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := editForm(r, fields("name", p.Name, "email", p.Email, "phone", p.Phone, "locale", p.Locale))
	in := crm.ProfileInput{Name: f.text("name"), Email: f.text("email"), Phone: f.text("phone"),
		Locale: string(i18n.Parse(f.text("locale")))}
	err = in.Validate()
	p.Name, p.Email, p.Phone, p.Locale = in.Name, in.Email, in.Phone, in.Locale
	if err != nil {
		p.Errors = translateFields(r, fieldMessages(err))
		s.render(w, r, http.StatusUnprocessableEntity, views.Profile(p))
		return
	}
	if err := s.db.UpdateProfile(ctx, webctx.Actor(ctx).ID, in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Locale != "" {
		webctx.Get(ctx).Locale = i18n.Locale(in.Locale)
	}
	s.flash(r, "ok", "profile.saved")
	s.redirect(w, r, route.Profile)
}

// handlePasswordChange changes the user's own password. Every other session
// of theirs ends; this one continues under a new token.
func (s *Server) handlePasswordChange(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := webctx.Actor(ctx)
	current, next, confirm := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("confirm")
	var v crm.Invalid
	hash, err := s.db.PasswordHash(ctx, a.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ok, _ := password.Verify(current, hash); !ok {
		v.Add("current", "error.wrong_password")
	}
	if msg := crm.PasswordProblem(next); msg != "" {
		v.Add("new", msg)
	} else if next == current {
		v.Add("new", "error.password_same")
	}
	if confirm != next {
		v.Add("confirm", "error.password_mismatch")
	}
	if err := v.Err(); err != nil {
		p, perr := s.profileProps(r)
		if perr != nil {
			s.fail(w, r, perr)
			return
		}
		p.PasswordErrors = translateFields(r, v.Fields)
		s.render(w, r, http.StatusUnprocessableEntity, views.Profile(p))
		return
	}
	newHash, err := password.Hash(next)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	epoch, err := s.db.SetPassword(ctx, a.ID, newHash, false, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	s.sessions.Put(ctx, sessEpoch, epoch)
	s.flash(r, "ok", "profile.password_changed")
	s.redirect(w, r, route.Profile)
}

// translateFields turns field → catalog key into field → message.
func translateFields(r *http.Request, fields map[string]string) map[string]string {
	out := make(map[string]string, len(fields))
	for f, k := range fields {
		out[f] = webctx.T(r.Context(), k)
	}
	return out
}
