package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

// departments reads every department with its head's name and active
// employee count, ordered by name (a company has tens, not thousands).
func departments(ctx context.Context, q querier) ([]crm.Department, error) {
	rows, err := q.Query(ctx, `/* postgres.Departments */
		SELECT d.id, d.name, coalesce(d.parent_id, 0), coalesce(d.head_id, 0), coalesce(h.name, ''),
		       (SELECT count(*) FROM employees e WHERE e.department_id = d.id AND e.active), d.is_demo, d.created_at
		FROM departments d LEFT JOIN employees h ON h.id = d.head_id
		ORDER BY d.name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (crm.Department, error) {
		var d crm.Department
		err := r.Scan(&d.ID, &d.Name, &d.ParentID, &d.HeadID, &d.HeadName, &d.Employees, &d.IsDemo, &d.CreatedAt)
		return d, err
	})
}

// DepartmentByID returns one department; ENOTFOUND if there is none.
func (db *DB) DepartmentByID(ctx context.Context, id int64) (crm.Department, error) {
	var d crm.Department
	err := db.Pool.QueryRow(ctx, `/* postgres.DepartmentByID */
		SELECT d.id, d.name, coalesce(d.parent_id, 0), coalesce(d.head_id, 0), coalesce(h.name, ''),
		       (SELECT count(*) FROM employees e WHERE e.department_id = d.id AND e.active), d.is_demo, d.created_at
		FROM departments d LEFT JOIN employees h ON h.id = d.head_id WHERE d.id = $1`, id).Scan(
		&d.ID, &d.Name, &d.ParentID, &d.HeadID, &d.HeadName, &d.Employees, &d.IsDemo, &d.CreatedAt)
	return d, translate(err)
}

// CreateDepartment adds a department.
func (db *DB) CreateDepartment(ctx context.Context, in crm.DepartmentInput, demo bool) (int64, error) {
	var id int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if err := checkDepartmentRefs(ctx, tx, 0, in); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `/* postgres.CreateDepartment */
			INSERT INTO departments (name, parent_id, head_id, is_demo) VALUES ($1, $2, $3, $4) RETURNING id`,
			in.Name, nullID(in.ParentID), nullID(in.HeadID), demo).Scan(&id)
		return translate(err)
	})
	return id, err
}

// UpdateDepartment changes a department. A department cannot move below
// itself or one of its own sub-departments.
func (db *DB) UpdateDepartment(ctx context.Context, id int64, in crm.DepartmentInput) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		// Serialise tree changes so that two moves cannot build a cycle together.
		if _, err := tx.Exec(ctx, `LOCK TABLE departments IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		if err := checkDepartmentRefs(ctx, tx, id, in); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `/* postgres.UpdateDepartment */
			UPDATE departments SET name = $2, parent_id = $3, head_id = $4, updated_at = now() WHERE id = $1`,
			id, in.Name, nullID(in.ParentID), nullID(in.HeadID))
		if err != nil {
			return translate(err)
		}
		if tag.RowsAffected() == 0 {
			return crm.ErrNotFound
		}
		return nil
	})
}

func checkDepartmentRefs(ctx context.Context, tx pgx.Tx, id int64, in crm.DepartmentInput) error {
	var v crm.Invalid
	if in.ParentID != 0 {
		var ok, cycle bool
		err := tx.QueryRow(ctx, `/* postgres.checkDepartmentRefs parent */
			WITH RECURSIVE up AS (
			    SELECT id, parent_id FROM departments WHERE id = $1
			    UNION SELECT d.id, d.parent_id FROM departments d JOIN up ON d.id = up.parent_id)
			SELECT EXISTS (SELECT 1 FROM departments WHERE id = $1), EXISTS (SELECT 1 FROM up WHERE id = $2)`,
			in.ParentID, id).Scan(&ok, &cycle)
		if err != nil {
			return err
		}
		switch {
		case !ok:
			v.Add("parent_id", "error.not_exist")
		case cycle:
			v.Add("parent_id", "error.department_cycle")
		}
	}
	if in.HeadID != 0 {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM employees WHERE id = $1 AND active)`, in.HeadID).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			v.Add("head_id", "error.not_exist")
		}
	}
	return v.Err()
}

// DeleteDepartment removes an empty department; one with sub-departments or
// employees is refused with a message saying so.
func (db *DB) DeleteDepartment(ctx context.Context, id int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		var exists bool
		var children, employees int
		err := tx.QueryRow(ctx, `/* postgres.DeleteDepartment check */
			SELECT EXISTS (SELECT 1 FROM departments WHERE id = $1),
			       (SELECT count(*) FROM departments WHERE parent_id = $1),
			       (SELECT count(*) FROM employees WHERE department_id = $1)`, id).Scan(&exists, &children, &employees)
		if err != nil {
			return err
		}
		switch {
		case !exists:
			return crm.ErrNotFound
		case children > 0:
			return crm.Errorf(crm.ECONFLICT, "error.department_has_children", children)
		case employees > 0:
			return crm.Errorf(crm.ECONFLICT, "error.department_has_employees", employees)
		}
		_, err = tx.Exec(ctx, `/* postgres.DeleteDepartment */ DELETE FROM departments WHERE id = $1`, id)
		return translate(err)
	})
}

// DepartmentIDByName returns the id of the department with that name.
func (db *DB) DepartmentIDByName(ctx context.Context, name string) (int64, error) {
	var id int64
	err := db.Pool.QueryRow(ctx, `/* postgres.DepartmentIDByName */ SELECT id FROM departments WHERE name = $1`,
		crm.CleanText(name)).Scan(&id)
	return id, translate(err)
}
