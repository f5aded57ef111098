// Package route holds the URL patterns of the CRM and builders for them,
// shared by the server (which registers the patterns) and the views (which
// link to them), so that views never import handlers.
package route

import (
	"fmt"
	"net/url"
)

// Fixed entry points (SPEC §7).
const (
	Home          = "/"
	Login         = "/login"
	Logout        = "/logout"
	Health        = "/healthz"
	Locale        = "/locale"
	Profile       = "/profile"
	ProfilePass   = "/profile/password"
	Campaigns     = "/campaigns"
	Leads         = "/leads"
	Customers     = "/customers"
	Contacts      = "/contacts"
	FollowUps     = "/follow-ups"
	Opportunities = "/opportunities"
	Products      = "/products"
	Quotes        = "/quotes"
	Orders        = "/orders"
	Approvals     = "/approvals"
	Payments      = "/payments"
	Invoices      = "/invoices"
	Notifications = "/notifications"
	Import        = "/import"

	Departments   = "/admin/departments"
	DepartmentNew = "/admin/departments/new"
	Employees     = "/admin/employees"
	EmployeeNew   = "/admin/employees/new"
	Options       = "/admin/options"
	Demo          = "/admin/demo"
	DemoPurge     = "/admin/demo/purge"
	StaticPrefix  = "/static/"
	PatternID     = "{id}"
	PatternStatic = "/static/*"
	DepartmentPat = "/admin/departments/{id}"
	EmployeePat   = "/admin/employees/{id}"
)

// Department is a department's edit form (departments have no detail page;
// the tree shows them).
func Department(id int64) string { return fmt.Sprintf("/admin/departments/%d", id) }

// DepartmentEdit is a department's edit form.
func DepartmentEdit(id int64) string { return fmt.Sprintf("/admin/departments/%d/edit", id) }

// DepartmentDelete deletes a department (POST).
func DepartmentDelete(id int64) string { return fmt.Sprintf("/admin/departments/%d/delete", id) }

// Employee is an employee's detail page.
func Employee(id int64) string { return fmt.Sprintf("/admin/employees/%d", id) }

// EmployeeEdit is an employee's edit form.
func EmployeeEdit(id int64) string { return fmt.Sprintf("/admin/employees/%d/edit", id) }

// EmployeeDeactivate deactivates an employee (POST).
func EmployeeDeactivate(id int64) string { return fmt.Sprintf("/admin/employees/%d/deactivate", id) }

// EmployeeActivate activates an employee (POST).
func EmployeeActivate(id int64) string { return fmt.Sprintf("/admin/employees/%d/activate", id) }

// EmployeePassword resets an employee's password (POST).
func EmployeePassword(id int64) string { return fmt.Sprintf("/admin/employees/%d/password", id) }

// LoginNext is the login page that returns to next afterwards.
func LoginNext(next string) string {
	if next == "" || next == Home {
		return Login
	}
	return Login + "?next=" + url.QueryEscape(next)
}

// WithQuery returns path with the query q (which may be empty).
func WithQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
