package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ui/auth"
)

func TestAlertRulesAPI(t *testing.T) {
	rg := newRig(t)
	rg.user(t, "eng1", "engineer", auth.Scope{})
	rg.user(t, "sup1", "supervisor", auth.Scope{})
	rg.user(t, "north.sup", "supervisor", auth.Scope{Sites: []string{"north"}})
	rg.user(t, "op1", "operator", auth.Scope{})
	eng, sup, north, op := rg.login(t, "eng1"), rg.login(t, "sup1"), rg.login(t, "north.sup"), rg.login(t, "op1")
	if code, body := eng.do(t, "PUT", "/api/v1/cameras/cam001/analytics", `{"zones":[`+doorway+`]}`, nil); code != 200 {
		t.Fatalf("zones: %d %s", code, body)
	}

	var rule alertRuleJSON
	code, body := sup.do(t, "POST", "/api/v1/alert-rules",
		`{"name":"Doorway at night","camera":"cam001","zone":"Doorway","factor":4,"hour_from":22,"hour_to":6,"severity":"critical"}`, &rule)
	if code != 201 || rule.ID == 0 || rule.MinShare != 0.05 || !rule.Enabled || rule.CreatedBy != "sup1" || rule.HourTo != 6 {
		t.Fatalf("create: %d %s", code, body)
	}
	for _, c := range []struct {
		body  string
		code  int
		field string
	}{
		{`{"name":"Doorway at night","camera":"cam001"}`, 409, ""},
		{`{"name":"x","camera":"cam001","zone":"Road"}`, 422, "zone"},
		{`{"name":"x","camera":"cam404"}`, 422, "camera"},
		{`{"name":"x","camera":"cam001","factor":0.5}`, 422, "factor"},
		{`{"name":"x","camera":"cam001","hour_from":6,"hour_to":6}`, 422, "hour_to"},
		{`{"name":"x","camera":"cam001","severity":"loud"}`, 422, "severity"},
		{`{"name":"x","camera":"cam001","colour":"red"}`, 400, ""},
	} {
		code, body := sup.do(t, "POST", "/api/v1/alert-rules", c.body, nil)
		if code != c.code || c.field != "" && !strings.Contains(body, `"field": "`+c.field) {
			t.Errorf("%s: %d %s", c.body, code, body)
		}
	}
	if code, _ := north.do(t, "POST", "/api/v1/alert-rules", `{"name":"y","camera":"cam001"}`, nil); code != 403 {
		t.Errorf("a rule outside the supervisor's scope: %d", code)
	}
	if code, _ := op.do(t, "POST", "/api/v1/alert-rules", `{"name":"y","camera":"cam001"}`, nil); code != 403 {
		t.Errorf("an operator made a rule: %d", code)
	}
	if code, body := north.do(t, "POST", "/api/v1/alert-rules", `{"name":"Park","camera":"cam002"}`, nil); code != 201 {
		t.Errorf("north supervisor on cam002: %d %s", code, body)
	}

	list := func(c *client) []alertRuleJSON {
		t.Helper()
		var out struct{ Rules []alertRuleJSON }
		if code, body := c.do(t, "GET", "/api/v1/alert-rules", "", &out); code != 200 {
			t.Fatalf("list: %d %s", code, body)
		}
		return out.Rules
	}
	if got := list(op); len(got) != 2 || got[0].Name != "Doorway at night" {
		t.Errorf("operator sees the rules: %+v", got)
	}
	if got := list(north); len(got) != 1 || got[0].Camera != "cam002" {
		t.Errorf("scoped list: %+v", got)
	}
	if code, _ := eng.do(t, "GET", "/api/v1/alert-rules", "", nil); code != 403 {
		t.Errorf("engineer listed rules: %d", code)
	}

	path := fmt.Sprintf("/api/v1/alert-rules/%d", rule.ID)
	// A GET answer, edited, is a valid PUT.
	edited := fmt.Sprintf(`{"id":%d,"name":"Doorway late","camera":"cam001","zone":"Doorway","factor":5,"min_share":0.1,
		"hour_from":23,"hour_to":5,"severity":"warning","enabled":false,"created_by":"someone","created":"2020-01-01T00:00:00Z"}`, rule.ID)
	code, body = sup.do(t, "PUT", path, edited, &rule)
	if code != 200 || rule.Name != "Doorway late" || rule.Enabled || rule.CreatedBy != "sup1" || rule.Factor != 5 {
		t.Fatalf("replace: %d %s", code, body)
	}
	if code, _ := north.do(t, "PUT", path, edited, nil); code != 403 {
		t.Errorf("north supervisor changed a cam001 rule: %d", code)
	}
	if code, _ := north.do(t, "DELETE", path, "", nil); code != 403 {
		t.Errorf("north supervisor deleted a cam001 rule: %d", code)
	}
	if code, _ := sup.do(t, "PUT", "/api/v1/alert-rules/999", edited, nil); code != 404 {
		t.Errorf("replace nothing: %d", code)
	}
	if code, _ := sup.do(t, "DELETE", "/api/v1/alert-rules/x", "", nil); code != 404 {
		t.Errorf("delete a non-id: %d", code)
	}
	if code, body := sup.do(t, "DELETE", path, "", nil); code != 204 {
		t.Fatalf("delete: %d %s", code, body)
	}
	if code, _ := sup.do(t, "DELETE", path, "", nil); code != 404 {
		t.Errorf("second delete: %d", code)
	}

	logged := rg.withAction(t, evidence.ActionAlertRuleChanged)
	if len(logged) != 4 || !strings.HasPrefix(logged[0].Detail, `created "Doorway at night": Doorway, over 4 times usual`) ||
		logged[0].Camera != "cam001" || logged[0].Role != "supervisor" || logged[0].Ref != fmt.Sprintf("alert-rule/%d", rule.ID) ||
		!strings.HasPrefix(logged[2].Detail, `changed "Doorway late"`) || !strings.HasPrefix(logged[3].Detail, "deleted") {
		t.Errorf("rule entries: %+v", logged)
	}
}
