package views

import (
	"context"
	"strconv"
	"strings"

	"crm/internal/crm"
	"crm/web/views/ui"
)

// DeptNode is a department in the tree with its sub-departments.
type DeptNode struct {
	Dept     crm.Department
	Children []*DeptNode
}

// BuildTree arranges departments into a forest ordered by name.
func BuildTree(depts []crm.Department) []*DeptNode {
	nodes := map[int64]*DeptNode{}
	for _, d := range depts {
		nodes[d.ID] = &DeptNode{Dept: d}
	}
	var roots []*DeptNode
	for _, d := range depts { // depts arrive ordered by name, so children are too
		n := nodes[d.ID]
		if p, ok := nodes[d.ParentID]; ok && d.ParentID != 0 {
			p.Children = append(p.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots
}

// DeptOptions lists departments as select options, indented by depth, leaving
// out exclude and everything below it (a department cannot move under itself).
func DeptOptions(depts []crm.Department, exclude int64) []ui.Option {
	var out []ui.Option
	var walk func(ns []*DeptNode, depth int)
	walk = func(ns []*DeptNode, depth int) {
		for _, n := range ns {
			if n.Dept.ID == exclude && exclude != 0 {
				continue
			}
			out = append(out, ui.Option{Value: id(n.Dept.ID), Label: strings.Repeat("　", depth) + n.Dept.Name})
			walk(n.Children, depth+1)
		}
	}
	walk(BuildTree(depts), 0)
	return out
}

func id(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}

func roleOptions(ctx context.Context) []ui.Option {
	var out []ui.Option
	for _, r := range crm.Roles {
		out = append(out, ui.Option{Value: string(r), Label: roleLabel(ctx, r)})
	}
	return out
}

func msgs(ctx context.Context, fields map[string]string) map[string]string {
	out := map[string]string{}
	for f, k := range fields {
		out[f] = t(ctx, k)
	}
	return out
}
