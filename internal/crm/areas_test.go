package crm_test

import (
	"testing"

	"crm/internal/crm"
)

// TestDashboardSectionOpen: every role sees the dashboard; money sections
// (trend, receivables) are closed to marketing, the ranking is for
// managers and above, follow-up reminders are not finance's.
func TestDashboardSectionOpen(t *testing.T) {
	closed := map[crm.Role][]crm.DashboardSection{
		crm.RoleAdmin:        nil,
		crm.RoleManagement:   nil,
		crm.RoleSalesManager: nil,
		crm.RoleSalesRep:     {crm.SectionRanking},
		crm.RoleMarketing:    {crm.SectionTrend, crm.SectionReceivables, crm.SectionRanking},
		crm.RoleFinance:      {crm.SectionRanking, crm.SectionFollowUps},
	}
	for _, role := range crm.Roles {
		want, ok := closed[role]
		if !ok {
			t.Fatalf("role %s has no expectation", role)
		}
		for _, s := range crm.DashboardSections {
			shut := false
			for _, c := range want {
				shut = shut || c == s
			}
			if got := crm.DashboardSectionOpen(role, s); got == shut {
				t.Errorf("DashboardSectionOpen(%s, %s) = %v", role, s, got)
			}
		}
		a := crm.Actor{ID: 1, Role: role}
		if crm.DashboardMoney(a) != (role != crm.RoleMarketing) {
			t.Errorf("DashboardMoney(%s) = %v", role, crm.DashboardMoney(a))
		}
	}
	if crm.DashboardMoney(crm.Actor{}) || crm.DashboardTeam(crm.Actor{Role: crm.RoleSalesRep}) {
		t.Error("an anonymous actor sees money, or a rep leads a team")
	}
}

// TestVisibleAreas: the navigation's set is CanSeeArea over every area,
// and Areas lists each area once.
func TestVisibleAreas(t *testing.T) {
	seen := map[crm.Area]bool{}
	for _, area := range crm.Areas {
		if seen[area] {
			t.Fatalf("%s listed twice", area)
		}
		seen[area] = true
	}
	if len(seen) != 19 || !seen[crm.AreaDemo] || !seen[crm.AreaDashboard] {
		t.Fatalf("Areas = %v; want the 19 areas", crm.Areas)
	}
	for _, role := range []crm.Role{crm.RoleAdmin, crm.RoleManagement, crm.RoleSalesManager, crm.RoleSalesRep, crm.RoleMarketing, crm.RoleFinance} {
		a := crm.Actor{ID: 1, Role: role, DepartmentID: 1}
		got := crm.VisibleAreas(a)
		for _, area := range crm.Areas {
			if got[area] != crm.CanSeeArea(a, area) {
				t.Errorf("%s %s: VisibleAreas %v, CanSeeArea %v", role, area, got[area], crm.CanSeeArea(a, area))
			}
		}
	}
	if len(crm.VisibleAreas(crm.Actor{})) != 0 {
		t.Error("an anonymous actor sees areas")
	}
}
