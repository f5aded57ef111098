package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"crm/internal/crm"
	"crm/internal/route"
	"crm/internal/xlsx"
)

// routes is the whole route table: every route of the CRM, grouped with
// the middleware that gates it. Middleware order is deliberate: request
// id → logging → recover → security headers → refusal of control
// characters and broken UTF-8 (400) for everything; static files then skip
// the session; the rest loads the session, refuses cross-origin form
// posts, and authenticates; groups then require a login and a policy.
// Record-level rules (may this actor view or change this record) are the
// handlers', through the crm policy. docs/http.md lists the same routes
// (TestRoutesDocumented).
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.requestID, s.logRequests, s.recoverPanics, s.securityHeaders, s.refuseBadText)
	r.NotFound(s.saveSessions(s.authenticate(http.HandlerFunc(s.handleNotFound))).ServeHTTP)
	r.MethodNotAllowed(s.handleMethodNotAllowed)

	r.Handle(route.PatternStatic, staticHandler())
	r.Get(route.Health, s.handleHealth)

	// Excel exports stream their file: they load the session read-only
	// (no commit, no cookie: an export changes no session) instead of going
	// through LoadAndSave; the login and policy checks are those of every
	// page (exports.go).
	r.Group(func(r chi.Router) {
		r.Use(s.loadSession, s.crossOrigin, s.authenticate, s.requireLogin)
		r.Get(route.Export(route.Campaigns), s.handleExport("campaigns", campaignExport))
		r.Get(route.Export(route.Leads), s.handleExport("leads", leadExport))
		r.Get(route.Export(route.Customers), s.handleExport("customers", customerExport))
		r.Get(route.Export(route.Contacts), s.handleExport("contacts", s.contactExport()))
		r.Get(route.Export(route.FollowUps), s.handleExport("follow-ups", s.followUpExport()))
		r.Get(route.Export(route.Opportunities), s.handleExport("opportunities", s.opportunityExport()))
		r.Get(route.Export(route.Products), s.handleExport("products", productExport))
		r.Get(route.Export(route.Quotes), s.handleExport("quotes", areaExport(crm.AreaQuotes, s.quoteExport())))
		r.Get(route.Export(route.Orders), s.handleExport("orders", areaExport(crm.AreaOrders, s.orderExport())))
		r.Get(route.Export(route.Payments), s.handleExport("payments", areaExport(crm.AreaPayments, s.paymentExport())))
		r.Get(route.Export(route.Invoices), s.handleExport("invoices", areaExport(crm.AreaInvoices, s.invoiceExport())))
		r.With(s.require(crm.CanManageOrganisation)).Get(route.Export(route.Employees), s.handleExport("employees", employeeExport))
	})

	r.Group(func(r chi.Router) {
		r.Use(s.saveSessions, s.crossOrigin, s.authenticate)

		r.Get(route.Login, s.handleLoginForm)
		r.Post(route.Login, s.handleLogin)
		r.Post(route.Logout, s.handleLogout)
		r.Post(route.Locale, s.handleLocale)

		r.Group(func(r chi.Router) {
			r.Use(s.requireLogin)
			s.signedInRoutes(r)

			r.Group(func(r chi.Router) {
				r.Use(s.require(func(a crm.Actor) bool { return crm.CanImport(a, true) }))
				s.importRoutes(r)
			})
			r.Group(func(r chi.Router) {
				r.Use(s.require(crm.CanManageOrganisation))
				s.adminRoutes(r)
			})
		})
	})
	return r
}

// signedInRoutes are the pages of every signed-in employee; each handler
// applies the record and area rules of the policy.
func (s *Server) signedInRoutes(r chi.Router) {
	r.Get(route.Home, s.handleHome)
	r.Get(route.Profile, s.handleProfile)
	r.Post(route.Profile, s.handleProfileUpdate)
	r.Post(route.ProfilePass, s.handlePasswordChange)
	r.Get(route.Notifications, s.handleNotifications)
	r.Post(route.NotesReadAll, s.handleNotificationsReadAll)
	r.Post(route.NotificationRead(route.ID), s.handleNotificationRead)

	s.acquisitionRoutes(r)
	s.dealRoutes(r)
	s.moneyRoutes(r)
}

// acquisitionRoutes are campaigns, leads, customers, contacts and
// follow-ups (SPEC §4).
func (s *Server) acquisitionRoutes(r chi.Router) {
	r.Get(route.Campaigns, s.handleCampaigns)
	r.Get(route.CampaignNew, s.handleCampaignNew)
	r.Post(route.Campaigns, s.handleCampaignCreate)
	r.Get(route.Campaign(route.ID), s.handleCampaign)
	r.Get(route.CampaignEdit(route.ID), s.handleCampaignEdit)
	r.Get(route.CampaignHistory(route.ID), s.handleCampaignHistory)
	r.Post(route.Campaign(route.ID), s.handleCampaignUpdate)
	r.Post(route.CampaignDelete(route.ID), s.handleCampaignDelete)

	r.Get(route.Leads, s.handleLeads)
	r.Get(route.LeadNew, s.handleLeadNew)
	r.Post(route.Leads, s.handleLeadCreate)
	r.Post(route.LeadBulk, s.handleLeadBulk)
	r.Get(route.Lead(route.ID), s.handleLead)
	r.Get(route.LeadEdit(route.ID), s.handleLeadEdit)
	r.Post(route.Lead(route.ID), s.handleLeadUpdate)
	r.Post(route.LeadDelete(route.ID), s.handleLeadDelete)
	r.Post(route.LeadClaim(route.ID), s.handleLeadAction(crm.ActClaim))
	r.Post(route.LeadRelease(route.ID), s.handleLeadAction(crm.ActRelease))
	r.Post(route.LeadAssign(route.ID), s.handleLeadAction(crm.ActAssign))
	r.Post(route.LeadConvert(route.ID), s.handleLeadConvert)

	r.Get(route.Customers, s.handleCustomers)
	r.Get(route.CustomerNew, s.handleCustomerNew)
	r.Post(route.Customers, s.handleCustomerCreate)
	r.Post(route.CustomerBulk, s.handleCustomerBulk)
	r.Get(route.Customer(route.ID), s.handleCustomer)
	r.Get(route.CustomerEdit(route.ID), s.handleCustomerEdit)
	r.Post(route.Customer(route.ID), s.handleCustomerUpdate)
	r.Post(route.CustomerDelete(route.ID), s.handleCustomerDelete)
	r.Post(route.CustomerClaim(route.ID), s.handleCustomerAction(crm.ActClaim))
	r.Post(route.CustomerRelease(route.ID), s.handleCustomerAction(crm.ActRelease))
	r.Post(route.CustomerAssign(route.ID), s.handleCustomerAction(crm.ActAssign))
	r.Post(route.CustomerCollaborators(route.ID), s.handleCollaboratorAdd)
	r.Post(route.CustomerCollaboratorDelete(route.ID, "{employeeID}"), s.handleCollaboratorRemove)

	r.Get(route.Contacts, s.handleContacts)
	r.Get(route.ContactNew, s.handleContactNew)
	r.Post(route.Contacts, s.handleContactCreate)
	r.Get(route.Contact(route.ID), s.handleContact)
	r.Get(route.ContactEdit(route.ID), s.handleContactEdit)
	r.Post(route.Contact(route.ID), s.handleContactUpdate)
	r.Post(route.ContactDelete(route.ID), s.handleContactDelete)
	r.Post(route.ContactPrimary(route.ID), s.handleContactPrimary)

	r.Get(route.FollowUps, s.handleFollowUps)
	r.Post(route.FollowUps, s.handleFollowUpCreate)
	r.Get(route.FollowUpEdit(route.ID), s.handleFollowUpEdit)
	r.Post(route.FollowUp(route.ID), s.handleFollowUpUpdate)
	r.Post(route.FollowUpDelete(route.ID), s.handleFollowUpDelete)
}

// dealRoutes are products, opportunities, quotes, orders and their
// approvals (SPEC §4–§5).
func (s *Server) dealRoutes(r chi.Router) {
	r.Get(route.Products, s.handleProducts)
	r.Get(route.ProductNew, s.handleProductNew)
	r.Post(route.Products, s.handleProductCreate)
	r.Get(route.Product(route.ID), s.handleProduct)
	r.Get(route.ProductEdit(route.ID), s.handleProductEdit)
	r.Post(route.Product(route.ID), s.handleProductUpdate)
	r.Post(route.ProductDeactivate(route.ID), s.handleProductActive(false))
	r.Post(route.ProductActivate(route.ID), s.handleProductActive(true))

	r.Get(route.Opportunities, s.handleOpportunities)
	r.Get(route.OpportunityNew, s.handleOpportunityNew)
	r.Post(route.Opportunities, s.handleOpportunityCreate)
	r.Get(route.Opportunity(route.ID), s.handleOpportunity)
	r.Get(route.OpportunityEdit(route.ID), s.handleOpportunityEdit)
	r.Post(route.Opportunity(route.ID), s.handleOpportunityUpdate)
	r.Post(route.OpportunityDelete(route.ID), s.handleOpportunityDelete)
	r.Post(route.OpportunityStage(route.ID), s.handleOpportunityStage)

	r.Get(route.Quotes, s.handleQuotes)
	r.Get(route.QuoteNew, s.handleQuoteNew)
	r.Post(route.Quotes, s.handleQuoteCreate)
	r.Get(route.Quote(route.ID), s.handleQuote)
	r.Get(route.QuoteEdit(route.ID), s.handleQuoteEdit)
	r.Post(route.Quote(route.ID), s.handleQuoteUpdate)
	r.Post(route.QuoteDelete(route.ID), s.handleQuoteDelete)
	r.Post(route.QuoteStatus(route.ID), s.handleQuoteStatus)
	r.Post(route.QuoteOrder(route.ID), s.handleQuoteToOrder)
	r.Post(route.LinePreview, s.handleLinePreview)

	r.Get(route.Orders, s.handleOrders)
	r.Get(route.OrderNew, s.handleOrderNew)
	r.Post(route.Orders, s.handleOrderCreate)
	r.Get(route.Order(route.ID), s.handleOrder)
	r.Get(route.OrderEdit(route.ID), s.handleOrderEdit)
	r.Post(route.Order(route.ID), s.handleOrderUpdate)
	r.Post(route.OrderDelete(route.ID), s.handleOrderDelete)
	r.Post(route.OrderSubmit(route.ID), s.handleOrderStep(crm.ActSubmit))
	r.Post(route.OrderWithdraw(route.ID), s.handleOrderStep(crm.ActWithdraw))
	r.Post(route.OrderApprove(route.ID), s.handleOrderDecide(crm.OrderApproved))
	r.Post(route.OrderReject(route.ID), s.handleOrderDecide(crm.OrderRejected))
	r.Get(route.Approvals, s.handleApprovals)
}

// moneyRoutes are payments and invoices (SPEC §4–§5).
func (s *Server) moneyRoutes(r chi.Router) {
	pay := s.payments()
	r.Get(route.Payments, pay.handleList)
	r.Get(route.PaymentNew, pay.handleNew)
	r.Post(route.Payments, pay.handleCreate)
	r.Get(route.Payment(route.ID), pay.handleShow)
	r.Get(route.PaymentEdit(route.ID), pay.handleEdit)
	r.Post(route.Payment(route.ID), pay.handleUpdate)
	r.Post(route.PaymentDelete(route.ID), pay.handleDelete)
	r.Post(route.PaymentConfirm(route.ID), pay.handleConfirm)

	inv := s.invoices()
	r.Get(route.Invoices, inv.handleList)
	r.Get(route.InvoiceNew, inv.handleNew)
	r.Post(route.Invoices, inv.handleCreate)
	r.Get(route.Invoice(route.ID), inv.handleShow)
	r.Get(route.InvoiceEdit(route.ID), inv.handleEdit)
	r.Post(route.Invoice(route.ID), inv.handleUpdate)
	r.Post(route.InvoiceDelete(route.ID), inv.handleDelete)
	r.Post(route.InvoiceConfirm(route.ID), inv.handleConfirm)
}

// importRoutes are Excel import's pages (admins; SPEC §6).
func (s *Server) importRoutes(r chi.Router) {
	h := &importHandlers{s: s, im: &xlsx.Importer{DB: s.db, Limits: xlsx.LimitsFromEnv()}}
	const table = "{table}"
	r.Get(route.Import, h.handleImports)
	r.Get(route.ImportTemplate(table), h.handleImportTemplate)
	r.Post(route.ImportUpload(table), h.handleImportUpload)
	r.Get(route.ImportJob(route.ID), h.handleImportJob)
	r.Post(route.ImportCommit(route.ID), h.handleImportCommit)
	r.Get(route.ImportErrors(route.ID), h.handleImportErrors)
	r.Get(route.ImportPasswords(route.ID), h.handleImportPasswords)
	r.Get(route.ImportProgress(route.ID), h.handleImportProgress)
	r.Post(route.ImportRevert(route.ID), h.handleImportRevert)
}

// adminRoutes are the organisation's settings (admins).
func (s *Server) adminRoutes(r chi.Router) {
	r.Get(route.Options, s.handleOptions)
	r.Post(route.Options, s.handleOptionAdd)
	r.Post(route.Option(route.ID), s.handleOptionRename)
	r.Post(route.OptionMove(route.ID), s.handleOptionMove)
	r.Post(route.OptionDelete(route.ID), s.handleOptionDelete)

	r.Get(route.Departments, s.handleDepartments)
	r.Get(route.DepartmentNew, s.handleDepartmentNew)
	r.Post(route.Departments, s.handleDepartmentCreate)
	r.Get(route.DepartmentEdit(route.ID), s.handleDepartmentEdit)
	r.Post(route.Department(route.ID), s.handleDepartmentUpdate)
	r.Post(route.DepartmentDelete(route.ID), s.handleDepartmentDelete)

	r.Get(route.Employees, s.handleEmployees)
	r.Get(route.EmployeeNew, s.handleEmployeeNew)
	r.Post(route.Employees, s.handleEmployeeCreate)
	r.Get(route.Employee(route.ID), s.handleEmployee)
	r.Get(route.EmployeeEdit(route.ID), s.handleEmployeeEdit)
	r.Post(route.Employee(route.ID), s.handleEmployeeUpdate)
	r.Post(route.EmployeeDeactivate(route.ID), s.handleEmployeeActive(false))
	r.Post(route.EmployeeActivate(route.ID), s.handleEmployeeActive(true))
	r.Post(route.EmployeePassword(route.ID), s.handleEmployeePassword)

	r.Get(route.DashboardAdmin, s.handleDashboardAdmin)
	r.Post(route.DashboardAdmin, s.handleDashboardAdminSave)

	r.Get(route.Demo, s.handleDemo)
	r.Post(route.DemoPurge, s.handleDemoPurge)
}
