package gen

import (
	"fmt"
	"math"
	"math/rand/v2"

	"crm/internal/crm"
)

// The organisation is fixed (30 departments, 300 employees); only the
// business records scale with Config.Customers. Ownership is skewed as in
// real sales teams: 35 key-account reps own about 2 % of the customers each
// (20 000 of a million), most reps a few hundred to a couple of thousand,
// the channel team (渠道合作部) a few hundred each, and presales engineers
// (售前技术支持部) own nothing and only collaborate.

// deptDef is one department: its parent, and its share of the customers
// and leads in its pool (公海).
type deptDef struct {
	name, parent string
	pool         float64 // share of all customers in this department's pool
}

var deptDefs = []deptDef{
	{"总经办", "", 0},
	{"销售中心", "总经办", 0},
	{"华东大区", "销售中心", 0}, {"华北大区", "销售中心", 0}, {"华南大区", "销售中心", 0}, {"西部大区", "销售中心", 0},
	{"上海销售一部", "华东大区", 0.0045}, {"上海销售二部", "华东大区", 0.0045}, {"杭州销售部", "华东大区", 0.0045},
	{"南京销售部", "华东大区", 0.0045}, {"苏州销售部", "华东大区", 0.0045},
	{"北京销售一部", "华北大区", 0.0045}, {"北京销售二部", "华北大区", 0.0045}, {"天津销售部", "华北大区", 0.0045},
	{"济南销售部", "华北大区", 0.0045},
	{"广州销售部", "华南大区", 0.0045}, {"深圳销售一部", "华南大区", 0.0045}, {"深圳销售二部", "华南大区", 0.0045},
	{"厦门销售部", "华南大区", 0.0045},
	{"成都销售部", "西部大区", 0.0045}, {"重庆销售部", "西部大区", 0.0045}, {"西安销售部", "西部大区", 0.0045},
	{"大客户部", "销售中心", 0.003}, {"渠道合作部", "销售中心", 0.0002}, {"售前技术支持部", "销售中心", 0},
	{"客户成功部", "销售中心", 0.002},
	{"市场部", "总经办", 0}, {"品牌推广组", "市场部", 0}, {"财务部", "总经办", 0}, {"人力行政部", "总经办", 0},
}

// noDeptPool is the share of customers in the pool of no department
// (visible to every rep and manager).
const noDeptPool = 0.00005

// empDef is one employee: login, role, department (index into deptDefs),
// and the share of all customers it owns.
type empDef struct {
	username string
	name     string
	role     crm.Role
	dept     int
	share    float64
	head     bool // heads its department
}

// Persona is a generated employee at one of the extremes the permission
// rules and the benchmarks care about. Every generated employee signs in
// with the password given to Generate.
type Persona struct {
	Class    string // rep_small, rep_big, collaborator, manager_third, management, marketing, finance
	Username string
	Label    string // what it stands for, for reports
}

// Personas are the employees the plan guard and the page benchmark sign in
// as: a rep who views about 0.1 % of the customers, a rep with 20 000 of a
// million, a presales engineer who only collaborates, the manager of the
// biggest region (about a third of the company), management, marketing and
// finance.
var Personas = []Persona{
	{"rep_small", "rep231", "rep viewing ~0.1% of customers (渠道合作部)"},
	{"rep_big", "rep001", "rep owning 2% of customers (20 000 of 1M)"},
	{"collaborator", "pre01", "presales, collaborator only"},
	{"manager_third", "mgr02", "manager of 华东大区 (~1/3 of customers)"},
	{"management", "ceo", "management (everything)"},
	{"marketing", "mkt01", "marketing"},
	{"finance", "fin01", "finance"},
}

// PersonaByClass returns the persona of a class.
func PersonaByClass(class string) Persona {
	for _, p := range Personas {
		if p.Class == class {
			return p
		}
	}
	panic("gen: no persona " + class)
}

// organisation returns the employees, deterministic for a seed.
func organisation(seed uint64) []empDef {
	r := rand.New(rand.NewPCG(seed, 1))
	dept := map[string]int{}
	for i, d := range deptDefs {
		dept[d.name] = i
	}
	used := map[string]bool{}
	name := func() string {
		for {
			n := person(r)
			if !used[n] {
				used[n] = true
				return n
			}
		}
	}
	var emps []empDef
	add := func(username string, role crm.Role, d string, share float64, head bool) {
		emps = append(emps, empDef{username: username, name: name(), role: role, dept: dept[d], share: share, head: head})
	}
	add("it01", crm.RoleAdmin, "人力行政部", 0, true)
	add("it02", crm.RoleAdmin, "人力行政部", 0, false)
	add("ceo", crm.RoleManagement, "总经办", 0, true)
	for i := 1; i <= 4; i++ {
		add(fmt.Sprintf("vp%02d", i), crm.RoleManagement, "总经办", 0, false)
	}
	// Managers head every sales department; they own a few customers.
	mgr := 0
	for _, d := range deptDefs {
		if d.name != "销售中心" && d.parent != "销售中心" && !isRegion(d.parent) {
			continue
		}
		mgr++
		share := 0.0005
		if d.name == "销售中心" || isRegion(d.name) || d.name == "售前技术支持部" {
			share = 0
		}
		add(fmt.Sprintf("mgr%02d", mgr), crm.RoleSalesManager, d.name, share, true)
	}
	for i := 1; i <= 6; i++ {
		add(fmt.Sprintf("pre%02d", i), crm.RoleSalesRep, "售前技术支持部", 0, false)
	}
	for i := 1; i <= 14; i++ {
		d := "市场部"
		if i == 2 || i > 10 {
			d = "品牌推广组"
		}
		add(fmt.Sprintf("mkt%02d", i), crm.RoleMarketing, d, 0, i <= 2)
	}
	for i := 1; i <= 10; i++ {
		add(fmt.Sprintf("fin%02d", i), crm.RoleFinance, "财务部", 0, i == 1)
	}
	// Reps: 13 in each regional department (the first ones key-account
	// reps), 12 in 大客户部, 10 in 客户成功部, 8 in 渠道合作部: 238.
	keys := map[string]int{
		"上海销售一部": 3, "上海销售二部": 3, "杭州销售部": 2, "南京销售部": 2, "苏州销售部": 2,
		"北京销售一部": 3, "北京销售二部": 2, "天津销售部": 2, "济南销售部": 2,
		"广州销售部": 2, "深圳销售一部": 2, "深圳销售二部": 2, "厦门销售部": 2,
		"成都销售部": 2, "重庆销售部": 1, "西安销售部": 1,
		"大客户部": 2,
	}
	rep := 0
	addReps := func(d string, n int, regular float64) {
		for i := 0; i < n; i++ {
			rep++
			share := regular * math.Exp(r.NormFloat64()*0.9) // log-normal: most a few hundred, some thousands
			if i < keys[d] {
				share = 0.016 + 0.008*r.Float64() // 16 000–24 000 of a million
				if rep == 1 {
					share = 0.02 // rep001: exactly 20 000 of a million
				}
			}
			add(fmt.Sprintf("rep%03d", rep), crm.RoleSalesRep, d, share, false)
		}
	}
	for _, d := range deptDefs {
		if isRegional(d) {
			addReps(d.name, 13, 0.0007)
		}
	}
	addReps("大客户部", 12, 0.0009)
	addReps("客户成功部", 10, 0.0006)
	for i := 0; i < 8; i++ {
		rep++
		add(fmt.Sprintf("rep%03d", rep), crm.RoleSalesRep, "渠道合作部", 0.0006, false)
	}
	return emps
}

// isRegion reports whether name is one of the four regions.
func isRegion(name string) bool {
	return name == "华东大区" || name == "华北大区" || name == "华南大区" || name == "西部大区"
}

// isRegional reports whether d is a sales department under a region.
func isRegional(d deptDef) bool { return isRegion(d.parent) }
