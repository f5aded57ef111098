package crm

// Read models: what storage answers for pages beyond the entities
// themselves — pickers, counts, figures. Pure data; storage fills them,
// views show them.

// Choice is a record offered in a picker.
type Choice struct {
	ID   int64
	Name string
}

// EmployeeOption is an employee in a picker.
type EmployeeOption struct {
	ID             int64
	Name           string
	Username       string
	DepartmentName string
}
