package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

const employeeColumns = `e.id, e.username, e.name, e.email, e.phone, coalesce(e.department_id, 0),
	coalesce(d.name, ''), e.role, e.active, e.must_change_password, e.locale, e.is_demo, e.created_at`

func scanEmployee(row pgx.Row, extra ...any) (crm.Employee, error) {
	var e crm.Employee
	dst := append([]any{&e.ID, &e.Username, &e.Name, &e.Email, &e.Phone, &e.DepartmentID,
		&e.DepartmentName, &e.Role, &e.Active, &e.MustChangePassword, &e.Locale, &e.IsDemo, &e.CreatedAt}, extra...)
	err := row.Scan(dst...)
	return e, translate(err)
}

// EmployeeByID returns the employee; ENOTFOUND if there is none.
func (db *DB) EmployeeByID(ctx context.Context, id int64) (crm.Employee, error) {
	return scanEmployee(db.Pool.QueryRow(ctx, `/* postgres.EmployeeByID */
		SELECT `+employeeColumns+` FROM employees e LEFT JOIN departments d ON d.id = e.department_id
		WHERE e.id = $1`, id))
}

// Credentials is what a login checks.
type Credentials struct {
	Employee     crm.Employee
	PasswordHash string
	SessionEpoch int
}

// CredentialsByUsername returns the employee with that username (case
// insensitive) and its password hash; ENOTFOUND if there is none.
func (db *DB) CredentialsByUsername(ctx context.Context, username string) (Credentials, error) {
	var c Credentials
	var err error
	c.Employee, err = scanEmployee(db.Pool.QueryRow(ctx, `/* postgres.CredentialsByUsername */
		SELECT `+employeeColumns+`, e.password_hash, e.session_epoch
		FROM employees e LEFT JOIN departments d ON d.id = e.department_id
		WHERE e.username = lower($1)`, strings.TrimSpace(username)), &c.PasswordHash, &c.SessionEpoch)
	return c, err
}

// PasswordHash returns an employee's current hash (for a password change).
func (db *DB) PasswordHash(ctx context.Context, id int64) (string, error) {
	var h string
	err := db.Pool.QueryRow(ctx, `/* postgres.PasswordHash */ SELECT password_hash FROM employees WHERE id = $1`, id).Scan(&h)
	return h, translate(err)
}

// SessionUser is the signed-in employee as each request sees it.
type SessionUser struct {
	Actor              crm.Actor
	Locale             string
	MustChangePassword bool
	// The navigation's badges: orders waiting for the actor's approval (0
	// when the approvals area is not theirs) and unread notifications (up
	// to crm.MaxUnread+1).
	Approvals, Unread int
	// Reference is reference_version.n in the same snapshot
	// (WithReferenceVersion).
	Reference int64
}

// LoadSessionUser returns the actor for a session: the employee must be
// active and the session's epoch current, otherwise ENOTFOUND (the session
// is over). One query, the only one a page makes besides the session's and
// its own: the employee, the departments below theirs, the two badges of
// the navigation and the reference lists' number.
func (db *DB) LoadSessionUser(ctx context.Context, id int64, epoch int) (SessionUser, error) {
	var u SessionUser
	var dept *int64
	err := db.anchored().QueryRow(ctx, `/* postgres.LoadSessionUser */
		SELECT e.id, e.name, e.username, e.role, e.department_id, e.locale, e.must_change_password,
		       coalesce((WITH RECURSIVE sub AS (
		                    SELECT id FROM departments WHERE id = e.department_id
		                    UNION SELECT d.id FROM departments d JOIN sub ON d.parent_id = sub.id)
		                 SELECT array_agg(id ORDER BY id) FROM sub), '{}'),
		       `+inboxCountSQL("e.id", "e.role")+`,
		       (SELECT count(*) FROM (SELECT 1 FROM notifications n WHERE n.recipient_id = e.id AND n.read_at IS NULL
		                              LIMIT `+strconv.Itoa(crm.MaxUnread+1)+`) x),
		       (SELECT n FROM reference_version)
		FROM employees e WHERE e.id = $1 AND e.active AND e.session_epoch = $2`, id, epoch).Scan(
		&u.Actor.ID, &u.Actor.Name, &u.Actor.Username, &u.Actor.Role, &dept, &u.Locale, &u.MustChangePassword,
		&u.Actor.Departments, &u.Approvals, &u.Unread, &u.Reference)
	if dept != nil {
		u.Actor.DepartmentID = *dept
	}
	if !crm.CanSeeArea(u.Actor, crm.AreaApprovals) {
		u.Approvals = 0
	}
	return u, translate(err)
}

// EmployeeFilter selects employees for the admin list.
type EmployeeFilter struct {
	Query        string // name, username, phone or email substring
	DepartmentID int64
	Role         crm.Role
	Active       string // "", "yes", "no"
	Sort         string // whitelisted: name, username, department, role, created
	Desc         bool
	Page         int // 1-based
	PerPage      int
}

var employeeSorts = map[string]string{
	"name":       "e.name",
	"username":   "e.username",
	"department": "d.name",
	"role":       "e.role",
	"created":    "e.created_at",
}

// FindEmployees returns one page of employees and the total matching count.
// There are hundreds of employees, not millions, so offset pages are fine.
func (db *DB) FindEmployees(ctx context.Context, f EmployeeFilter) ([]crm.Employee, int, error) {
	q := employeeQuery(f)
	if f.PerPage <= 0 || f.PerPage > 200 {
		f.PerPage = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	var total int
	if err := db.Pool.QueryRow(ctx, `/* postgres.FindEmployees count */
		SELECT count(*) FROM employees e LEFT JOIN departments d ON d.id = e.department_id`+q.whereSQL(), q.args.List...).Scan(&total); err != nil {
		return nil, 0, err
	}
	// A page past the last shows the last: a page number from the address
	// bar never overflows the offset.
	if last := max(1, (total+f.PerPage-1)/f.PerPage); f.Page > last {
		f.Page = last
	}
	limit, offset := q.arg(f.PerPage), q.arg((f.Page-1)*f.PerPage)
	rows, err := db.Pool.Query(ctx, `/* postgres.FindEmployees */
		SELECT `+employeeColumns+` FROM employees e LEFT JOIN departments d ON d.id = e.department_id`+q.whereSQL()+`
		ORDER BY `+employeeOrder(f)+` LIMIT `+limit+` OFFSET `+offset, q.args.List...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []crm.Employee
	for rows.Next() {
		e, err := scanEmployee(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// employeeQuery builds the conditions of f (the list and its export).
func employeeQuery(f EmployeeFilter) *query {
	var q query
	if text := crm.CleanText(f.Query); text != "" {
		p := q.arg("%" + escapeLike(text) + "%")
		q.and(fmt.Sprintf("(e.name ILIKE %[1]s OR e.username ILIKE %[1]s OR e.phone ILIKE %[1]s OR e.email ILIKE %[1]s)", p))
	}
	if f.DepartmentID != 0 {
		q.and("e.department_id = " + q.arg(f.DepartmentID))
	}
	if f.Role != "" {
		q.and("e.role = " + q.arg(string(f.Role)))
	}
	switch f.Active {
	case "yes":
		q.and("e.active")
	case "no":
		q.and("NOT e.active")
	}
	return &q
}

// employeeOrder is the ORDER BY of f (whitelisted; by id otherwise).
func employeeOrder(f EmployeeFilter) string {
	order, ok := employeeSorts[f.Sort]
	if !ok {
		order = "e.id"
	}
	dir := "ASC"
	if f.Desc {
		dir = "DESC"
	}
	return order + " " + dir + " NULLS LAST, e.id " + dir
}

// activeEmployees reads the active employees for pickers (department heads, owners).
func activeEmployees(ctx context.Context, q querier) ([]crm.EmployeeOption, error) {
	rows, err := q.Query(ctx, `/* postgres.ActiveEmployees */
		SELECT e.id, e.name, e.username, coalesce(d.name, '') FROM employees e
		LEFT JOIN departments d ON d.id = e.department_id WHERE e.active ORDER BY e.name, e.id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (crm.EmployeeOption, error) {
		var o crm.EmployeeOption
		err := r.Scan(&o.ID, &o.Name, &o.Username, &o.DepartmentName)
		return o, err
	})
}

// CreateEmployee adds an employee with the given password hash.
func (db *DB) CreateEmployee(ctx context.Context, in crm.EmployeeInput, hash string, mustChange, demo bool) (int64, error) {
	var id int64
	err := db.Pool.QueryRow(ctx, `/* postgres.CreateEmployee */
		INSERT INTO employees (username, name, email, phone, department_id, role, password_hash, must_change_password, is_demo)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		in.Username, in.Name, in.Email, in.Phone, nullID(in.DepartmentID), string(in.Role), hash, mustChange, demo).Scan(&id)
	if err != nil {
		return 0, fieldFK(translate(err), "department_id")
	}
	return id, nil
}

// UpdateEmployee changes an employee's details. The last active admin
// cannot lose the admin role.
func (db *DB) UpdateEmployee(ctx context.Context, id int64, in crm.EmployeeInput) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		before, err := lockAdmins(ctx, tx)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `/* postgres.UpdateEmployee */
			UPDATE employees SET username = $2, name = $3, email = $4, phone = $5, department_id = $6, role = $7,
			       updated_at = now() WHERE id = $1`,
			id, in.Username, in.Name, in.Email, in.Phone, nullID(in.DepartmentID), string(in.Role))
		if err != nil {
			return fieldFK(translate(err), "department_id")
		}
		if tag.RowsAffected() == 0 {
			return crm.ErrNotFound
		}
		return requireAdmin(ctx, tx, before, "role")
	})
}

// SetEmployeeActive activates or deactivates an employee. Deactivating ends
// every session of theirs at once (the epoch moves on, so a reactivation
// later does not revive them). The last active admin cannot be deactivated.
func (db *DB) SetEmployeeActive(ctx context.Context, id int64, active bool) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		before, err := lockAdmins(ctx, tx)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `/* postgres.SetEmployeeActive */
			UPDATE employees SET active = $2, updated_at = now(),
			       session_epoch = session_epoch + CASE WHEN $2 THEN 0 ELSE 1 END
			WHERE id = $1`, id, active)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return crm.ErrNotFound
		}
		return requireAdmin(ctx, tx, before, "")
	})
}

// SetPassword stores a new password hash. endSessions moves the epoch on so
// that every other session of the employee ends (an admin's reset); the
// caller renews its own session when the employee changes their own.
func (db *DB) SetPassword(ctx context.Context, id int64, hash string, mustChange, endSessions bool) (epoch int, err error) {
	err = db.Pool.QueryRow(ctx, `/* postgres.SetPassword */
		UPDATE employees SET password_hash = $2, must_change_password = $3, updated_at = now(),
		       session_epoch = session_epoch + CASE WHEN $4 THEN 1 ELSE 0 END
		WHERE id = $1 RETURNING session_epoch`, id, hash, mustChange, endSessions).Scan(&epoch)
	return epoch, translate(err)
}

// UpdateProfile changes what an employee may change about themselves.
func (db *DB) UpdateProfile(ctx context.Context, id int64, in crm.ProfileInput) error {
	_, err := db.Pool.Exec(ctx, `/* postgres.UpdateProfile */
		UPDATE employees SET name = $2, email = $3, phone = $4, locale = $5, updated_at = now() WHERE id = $1`,
		id, in.Name, in.Email, in.Phone, in.Locale)
	return err
}

// SetLocale stores an employee's language.
func (db *DB) SetLocale(ctx context.Context, id int64, locale string) error {
	_, err := db.Pool.Exec(ctx, `/* postgres.SetLocale */ UPDATE employees SET locale = $2 WHERE id = $1`, id, locale)
	return err
}

// lockAdmins serialises changes that could remove the last active admin.
// It returns how many active admins there are before the change.
func lockAdmins(ctx context.Context, tx pgx.Tx) (int, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7321001)`); err != nil {
		return 0, err
	}
	return activeAdmins(ctx, tx)
}

func activeAdmins(ctx context.Context, tx pgx.Tx) (int, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM employees WHERE role = 'admin' AND active`).Scan(&n)
	return n, err
}

// requireAdmin refuses a change that took the last active admin away (a
// database that had none before, such as a fresh one, is left alone).
func requireAdmin(ctx context.Context, tx pgx.Tx, before int, field string) error {
	n, err := activeAdmins(ctx, tx)
	if err != nil {
		return err
	}
	if n == 0 && before > 0 {
		if field != "" {
			return &crm.Error{Code: crm.EINVALID, Message: "error.last_admin", Fields: map[string]string{field: "error.last_admin"}}
		}
		return crm.Errorf(crm.ECONFLICT, "error.last_admin")
	}
	return nil
}

// fieldFK turns a foreign-key failure into a field error ("choose an existing …").
func fieldFK(err error, field string) error {
	var e *crm.Error
	if errors.As(err, &e) && e.Code == crm.ECONFLICT && e.Message == "error.in_use" {
		return &crm.Error{Code: crm.EINVALID, Message: "error.invalid", Fields: map[string]string{field: "error.not_exist"}}
	}
	return err
}

// Assignees lists the active employees a may make owners (crm.CanAssignTo),
// for the owner pickers.
func (db *DB) Assignees(ctx context.Context, a crm.Actor) ([]crm.EmployeeOption, error) {
	var args Args
	cond := AssigneeScope(a, "e", &args)
	rows, err := db.anchored().Query(ctx, `/* postgres.Assignees */
		SELECT e.id, e.name, e.username, coalesce(d.name, '') FROM employees e
		LEFT JOIN departments d ON d.id = e.department_id WHERE e.active AND `+cond+` ORDER BY d.name NULLS FIRST, e.name, e.id`, args.List...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (crm.EmployeeOption, error) {
		var o crm.EmployeeOption
		err := r.Scan(&o.ID, &o.Name, &o.Username, &o.DepartmentName)
		return o, err
	})
}

// assignee returns the department of an active employee a may make owner;
// EINVALID (on field) otherwise.
func assignee(ctx context.Context, tx pgx.Tx, a crm.Actor, id int64, field string) (dept *int64, err error) {
	var role crm.Role
	err = tx.QueryRow(ctx, `SELECT department_id, role FROM employees WHERE id = $1 AND active`, id).Scan(&dept, &role)
	if err != nil {
		if crm.ErrorCode(translate(err)) == crm.ENOTFOUND {
			return nil, &crm.Error{Code: crm.EINVALID, Message: "error.invalid", Fields: map[string]string{field: "error.not_exist"}}
		}
		return nil, err
	}
	var d int64
	if dept != nil {
		d = *dept
	}
	if !crm.CanAssignTo(a, d, role) {
		return nil, &crm.Error{Code: crm.EINVALID, Message: "error.invalid", Fields: map[string]string{field: "error.assignee_out_of_scope"}}
	}
	return dept, nil
}
