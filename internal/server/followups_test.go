package server_test

import (
	"strconv"
	"strings"
	"testing"

	"crm/internal/postgres"
)

// TestFollowUpRoutesEveryRole runs every follow-up route for every role on
// a follow-up rep1 logged on rep1's lead (in 一部): 200/303 allowed, 403
// viewable but not allowed, 404 not viewable (SPEC §3).
func TestFollowUpRoutesEveryRole(t *testing.T) {
	w := newAcqWorld(t)
	lead := w.lead("rep1", "跟进对象", postgres.NewOwner{})
	ls := strconv.FormatInt(lead, 10)
	followUp := func() string {
		w.clients["rep1"].post("/follow-ups", form("lead_id", ls, "content", "电话沟通")).wantStatus(303)
		return strconv.Itoa(w.count(`SELECT max(id) FROM follow_ups`))
	}
	create := roleCase{"admin": 303, "boss": 303, "mgr": 303, "mgr1": 303, "rep1": 303, "rep1b": 404, "rep2": 404, "mkt": 403, "fin": 403}
	edit := roleCase{"admin": 200, "boss": 200, "mgr": 200, "mgr1": 200, "rep1": 200, "rep1b": 404, "rep2": 404, "mkt": 403, "fin": 403}
	update := roleCase{"admin": 303, "boss": 303, "mgr": 303, "mgr1": 303, "rep1": 303, "rep1b": 404, "rep2": 404, "mkt": 403, "fin": 403}
	cases := 0
	for _, u := range acqUsers {
		c := w.clients[u.name]
		before := w.count(`SELECT count(*) FROM follow_ups`)
		p := c.post("/follow-ups", form("lead_id", ls, "content", "来自"+u.name))
		cases++
		if p.Status != create[u.name] {
			t.Errorf("create as %s: %d, want %d", u.name, p.Status, create[u.name])
		}
		if p.Status != 303 && w.count(`SELECT count(*) FROM follow_ups`) != before {
			t.Errorf("a refused create by %s wrote a follow-up", u.name)
		}
		id := followUp()
		// The list: viewers find rep1's follow-ups, the others none of them.
		list := c.get("/follow-ups?tab=all").wantStatus(200)
		sees := strings.Contains(list.Body, "电话沟通")
		if want := edit[u.name] != 404; sees != want {
			t.Errorf("list as %s shows rep1's follow-ups: %v, want %v", u.name, sees, want)
		}
		cases += 4
		if p := c.get("/follow-ups/" + id + "/edit"); p.Status != edit[u.name] {
			t.Errorf("edit form as %s: %d, want %d", u.name, p.Status, edit[u.name])
		}
		if p := c.post("/follow-ups/"+id, form("content", "改过")); p.Status != update[u.name] {
			t.Errorf("update as %s: %d, want %d", u.name, p.Status, update[u.name])
		}
		if p := c.post("/follow-ups/"+id+"/delete", form()); p.Status != update[u.name] {
			t.Errorf("delete as %s: %d, want %d", u.name, p.Status, update[u.name])
		}
	}
	t.Logf("follow-up routes: %d role×route cases", cases)
}
