package server

import (
	"context"
	"strconv"

	"crm/web/views"
)

// filterNames names the employee and the department a list is narrowed to
// by filters that have no control on the list (views.FilterChip): their
// names, or "#id" for one that does not exist. Employees' and departments'
// names are no secret — the pickers of every list offer them — and the
// list itself still holds only what the actor may view.
func (s *Server) filterNames(ctx context.Context, ownerID, departmentID int64) (views.FilterNames, error) {
	var n views.FilterNames
	if ownerID != 0 {
		e, err := s.db.EmployeeByID(ctx, ownerID)
		switch {
		case err == nil:
			n.Owner = e.Name
		case isNotFound(err):
			n.Owner = "#" + strconv.FormatInt(ownerID, 10)
		default:
			return n, err
		}
	}
	if departmentID != 0 {
		d, err := s.db.DepartmentByID(ctx, departmentID)
		switch {
		case err == nil:
			n.Department = d.Name
		case isNotFound(err):
			n.Department = "#" + strconv.FormatInt(departmentID, 10)
		default:
			return n, err
		}
	}
	return n, nil
}
