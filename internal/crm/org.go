package crm

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Role is an employee's role group (角色组); every employee has exactly one.
type Role string

// The six roles of SPEC §1.
const (
	RoleAdmin        Role = "admin"
	RoleManagement   Role = "management"
	RoleSalesManager Role = "sales_manager"
	RoleSalesRep     Role = "sales_rep"
	RoleMarketing    Role = "marketing"
	RoleFinance      Role = "finance"
)

// Roles lists every role in display order.
var Roles = []Role{RoleAdmin, RoleManagement, RoleSalesManager, RoleSalesRep, RoleMarketing, RoleFinance}

// Valid reports whether r is one of the six roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Department is an organisational unit (部门); departments nest.
type Department struct {
	ID        int64
	Name      string
	ParentID  int64 // 0: top level
	HeadID    int64 // 0: no head
	HeadName  string
	Employees int // active employees directly in it
	IsDemo    bool
	CreatedAt time.Time
}

// Employee is a user of the CRM (员工).
type Employee struct {
	ID                 int64
	Username           string
	Name               string
	Email              string
	Phone              string
	DepartmentID       int64 // 0: none
	DepartmentName     string
	Role               Role
	Active             bool
	MustChangePassword bool
	Locale             string
	IsDemo             bool
	CreatedAt          time.Time
}

// DepartmentInput is the editable part of a department.
type DepartmentInput struct {
	Name     string
	ParentID int64
	HeadID   int64
}

// Validate trims and checks the input.
func (in *DepartmentInput) Validate() error {
	var v Invalid
	in.Name = CleanText(in.Name)
	switch {
	case in.Name == "":
		v.Add("name", "error.required")
	case utf8.RuneCountInString(in.Name) > 100:
		v.Add("name", TooLong(100))
	}
	return v.Err()
}

// EmployeeInput is the editable part of an employee. Password is only used
// when creating.
type EmployeeInput struct {
	Username     string
	Name         string
	Email        string
	Phone        string
	DepartmentID int64
	Role         Role
	Password     string
}

// Validate trims and checks the input; creating also checks the password.
func (in *EmployeeInput) Validate(creating bool) error {
	var v Invalid
	in.Username = strings.ToLower(CleanText(in.Username))
	switch {
	case in.Username == "":
		v.Add("username", "error.required")
	case !validUsername(in.Username):
		v.Add("username", "error.username_format")
	}
	validatePerson(&v, &in.Name, &in.Email, &in.Phone)
	if !in.Role.Valid() {
		v.Add("role", "error.choose_role")
	}
	if creating {
		if msg := PasswordProblem(in.Password); msg != "" {
			v.Add("password", msg)
		}
	}
	return v.Err()
}

func validUsername(s string) bool {
	if len(s) < 2 || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// PasswordProblem returns the catalog key of what is wrong with a new
// password, or "" when it is acceptable.
func PasswordProblem(p string) string {
	n := utf8.RuneCountInString(p)
	switch {
	case n < 8:
		return "error.password_short"
	case n > 200:
		return TooLong(200)
	case strings.TrimSpace(p) == "":
		return "error.password_short"
	}
	return ""
}

// CleanText trims surrounding white space, full-width spaces (U+3000) included.
func CleanText(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u3000' || r == '\u00a0' || r == '\ufeff'
	})
}

// ProfileInput is what employees change about themselves.
type ProfileInput struct {
	Name   string
	Email  string
	Phone  string
	Locale string // "", "zh-CN" or "en"; "" follows the browser
}

// Validate trims and checks the input.
func (in *ProfileInput) Validate() error {
	var v Invalid
	validatePerson(&v, &in.Name, &in.Email, &in.Phone)
	return v.Err()
}

// validatePerson trims and checks a person's name, email and phone.
func validatePerson(v *Invalid, name, email, phone *string) {
	*name, *email, *phone = CleanText(*name), CleanText(*email), CleanText(*phone)
	switch {
	case *name == "":
		v.Add("name", "error.required")
	case utf8.RuneCountInString(*name) > 100:
		v.Add("name", TooLong(100))
	}
	if *email != "" && (!strings.Contains(*email, "@") || len(*email) > 200) {
		v.Add("email", "error.email_format")
	}
	if len(*phone) > 40 {
		v.Add("phone", TooLong(40))
	}
}
