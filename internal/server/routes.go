package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"crm/internal/crm"
	"crm/internal/route"
)

// routes is the whole route table. Middleware order is deliberate: request
// id → logging → recover → security headers → refusal of control
// characters and broken UTF-8 (400) for everything; static files
// then skip the session; the rest loads the session, refuses cross-origin
// form posts, and authenticates; groups then require a login and a policy.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.requestID, s.logRequests, s.recoverPanics, s.securityHeaders, s.refuseBadText)
	r.NotFound(s.saveSessions(s.authenticate(http.HandlerFunc(s.handleNotFound))).ServeHTTP)
	r.MethodNotAllowed(s.handleMethodNotAllowed)

	r.Handle(route.PatternStatic, staticHandler())
	r.Get(route.Health, s.handleHealth)

	// Excel exports stream their file: they load the session read-only
	// (no commit, no cookie: an export changes no session) instead of going
	// through LoadAndSave, and the login and policy checks are those of
	// every page (exports.go).
	r.Group(func(r chi.Router) {
		r.Use(s.loadSession, s.crossOrigin, s.authenticate, s.requireLogin)
		s.registerExportRoutes(r)
	})

	r.Group(func(r chi.Router) {
		r.Use(s.saveSessions, s.crossOrigin, s.authenticate)

		r.Get(route.Login, s.handleLoginForm)
		r.Post(route.Login, s.handleLogin)
		r.Post(route.Logout, s.handleLogout)
		r.Post(route.Locale, s.handleLocale)

		r.Group(func(r chi.Router) {
			r.Use(s.requireLogin)
			r.Get(route.Home, s.handleHome)
			r.Get(route.Profile, s.handleProfile)
			r.Post(route.Profile, s.handleProfileUpdate)
			r.Post(route.ProfilePass, s.handlePasswordChange)

			s.registerCampaignRoutes(r)
			s.registerLeadRoutes(r)
			s.registerCustomerRoutes(r)
			s.registerContactRoutes(r)
			s.registerFollowUpRoutes(r)
			s.registerProductRoutes(r)
			s.registerOpportunityRoutes(r)
			s.registerQuoteRoutes(r)
			s.registerOrderRoutes(r)
			s.registerApprovalRoutes(r)
			s.registerPaymentRoutes(r)
			s.registerInvoiceRoutes(r)
			s.registerImportRoutes(r)
			s.registerNotificationRoutes(r)
			s.registerDashboardRoutes(r)

			r.Group(func(r chi.Router) {
				r.Use(s.require(crm.CanManageOrganisation))
				s.registerOptionRoutes(r)
				r.Get(route.Departments, s.handleDepartments)
				r.Get(route.DepartmentNew, s.handleDepartmentNew)
				r.Post(route.Departments, s.handleDepartmentCreate)
				r.Get(route.DepartmentPat+"/edit", s.handleDepartmentEdit)
				r.Post(route.DepartmentPat, s.handleDepartmentUpdate)
				r.Post(route.DepartmentPat+"/delete", s.handleDepartmentDelete)

				r.Get(route.Employees, s.handleEmployees)
				r.Get(route.EmployeeNew, s.handleEmployeeNew)
				r.Post(route.Employees, s.handleEmployeeCreate)
				r.Get(route.EmployeePat, s.handleEmployee)
				r.Get(route.EmployeePat+"/edit", s.handleEmployeeEdit)
				r.Post(route.EmployeePat, s.handleEmployeeUpdate)
				r.Post(route.EmployeePat+"/deactivate", s.handleEmployeeActive(false))
				r.Post(route.EmployeePat+"/activate", s.handleEmployeeActive(true))
				r.Post(route.EmployeePat+"/password", s.handleEmployeePassword)

				r.Get(route.Demo, s.handleDemo)
				r.Post(route.DemoPurge, s.handleDemoPurge)
			})
		})
	})
	return r
}
