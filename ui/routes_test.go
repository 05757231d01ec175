package ui

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

var update = flag.Bool("update", false, "rewrite testdata/routes.md and the README matrix check's golden file")

// principals tried on every route: nobody, one user per role, a token.
var principals = append([]string{"anonymous"}, append(roleNames(), "token")...)

func roleNames() []string {
	var out []string
	for _, r := range auth.Roles {
		out = append(out, string(r))
	}
	return out
}

// allowedFor is what the route table says: the expectation the HTTP test
// checks the server against.
func allowedFor(rt Route, who string) bool {
	switch {
	case rt.Public:
		return true
	case who == "anonymous":
		return false
	case rt.Self:
		return true
	case who == "token":
		return slices.ContainsFunc(rt.Perms, func(p auth.Permission) bool { return slices.Contains(auth.TokenScopes, p) })
	}
	return slices.ContainsFunc(rt.Perms, auth.Role(who).Has)
}

// TestRouteTable keeps testdata/routes.md, the reviewed list of every
// route and who may call it, in step with the router: adding a route means
// adding it there, in a diff someone reads.
func TestRouteTable(t *testing.T) {
	rg := newRig(t)
	var b strings.Builder
	b.WriteString("| route | " + strings.Join(principals[1:], " | ") + " |\n|---|" + strings.Repeat("---|", len(principals)-1) + "\n")
	for _, rt := range rg.srv.Routes() {
		b.WriteString("| `" + rt.Pattern + "` |")
		for _, p := range principals[1:] {
			switch {
			case rt.Public:
				b.WriteString(" public |")
			case allowedFor(rt, p):
				b.WriteString(" yes |")
			default:
				b.WriteString("  |")
			}
		}
		b.WriteString("\n")
	}
	got := b.String()
	if *update {
		if err := os.WriteFile("testdata/routes.md", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/routes.md")
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("the router's routes differ from testdata/routes.md; review and run go test ./ui -run TestRouteTable -update\n%s", got)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), auth.MatrixMarkdown()) {
		t.Fatalf("README.md lacks the current role x permission matrix:\n%s", auth.MatrixMarkdown())
	}
}

// TestEveryRouteRefusesWhoItShould sends a request to every route the
// router has, as nobody, as each role and as a token: 401 without sign-in,
// 403 outside the role, and through to the handler otherwise. Every 403 is
// in the evidence log.
func TestEveryRouteRefusesWhoItShould(t *testing.T) {
	rg := newRig(t)
	ctx := context.Background()
	for _, r := range auth.Roles {
		rg.user(t, string(r)+"1", string(r), auth.Scope{})
	}
	rg.user(t, "target.op", "operator", auth.Scope{})
	// The police officer holds a grant on cam001 for the hour before now.
	now := rg.clock.Now()
	x := store.ExportRequest{ID: "req-1", CrimeRef: "01/1/26", Cameras: []string{"cam001"}, Start: now.Add(-time.Hour), End: now,
		Reason: "assault", RequestedBy: "police1", Officer: "PC 1", RequestedAt: now}
	if err := rg.st.AddExportRequest(ctx, &x); err != nil {
		t.Fatal(err)
	}
	if _, err := rg.st.DecideExportRequest(ctx, x.ID, true, "supervisor1", "ok", now.Add(24*time.Hour), now, time.Hour); err != nil {
		t.Fatal(err)
	}
	h := store.Hold{Camera: "cam001", Start: now.Add(-time.Hour), End: now, Reason: "r", CreatedBy: "supervisor1",
		RequestedBy: "PC 1", ReviewAt: now.Add(24 * time.Hour), CreatedAt: now}
	if err := rg.st.AddHold(ctx, &h); err != nil {
		t.Fatal(err)
	}
	admin := rg.login(t, "admin1")
	var tok tokenJSON
	scopes := `"` + strings.ReplaceAll(auth.JoinPermissions(auth.TokenScopes), ",", `","`) + `"`
	if code, body := admin.do(t, "POST", "/api/v1/tokens", `{"name":"all-scopes","scopes":[`+scopes+`],"expires_in_days":1}`, &tok); code != 201 {
		t.Fatalf("token: %d %s", code, body)
	}

	path := func(pattern string) (method, p string) {
		method, p, _ = strings.Cut(pattern, " ")
		id := "cam001"
		switch {
		case method == "DELETE" && strings.HasPrefix(p, "/api/v1/cameras/"):
			id = "cam009"
		case strings.HasPrefix(p, "/api/v1/holds/"):
			id = fmt.Sprint(h.ID)
		case strings.HasPrefix(p, "/api/v1/exports/"):
			id = x.ID
		case strings.HasPrefix(p, "/api/v1/tokens/"):
			id = "999"
		}
		r := strings.NewReplacer("{id}", id, "{name}", "target.op", "{token}", "vgl_nosuchlink")
		p = r.Replace(p)
		if strings.HasSuffix(p, "/recordings") { // inside the police grant
			p += "?from=" + x.Start.Add(time.Minute).Format(time.RFC3339) + "&to=" + x.End.Format(time.RFC3339)
		}
		return method, p
	}
	routes := rg.srv.Routes()
	if len(routes) < 40 {
		t.Fatalf("only %d routes: is the rig missing a part of the server?", len(routes))
	}
	for _, who := range principals {
		for _, rt := range routes {
			var c *client
			switch who {
			case "anonymous":
				c = rg.anon()
			case "token":
				c = rg.anon()
				c.token = tok.Token
			default:
				c = rg.login(t, who+"1") // afresh: some routes end the session
			}
			method, p := path(rt.Pattern)
			denied := len(rg.withAction(t, evidence.ActionAccessDenied))
			code, body := c.do(t, method, p, "{}", nil)
			want := allowedFor(rt, who)
			switch {
			case who == "anonymous" && !want && code != 401:
				t.Errorf("%s as %s: %d, want 401 (%s)", rt.Pattern, who, code, body)
			case who != "anonymous" && !want && code != 403:
				t.Errorf("%s as %s: %d, want 403 (%s)", rt.Pattern, who, code, body)
			case want && !rt.Public && (code == 401 || code == 403):
				t.Errorf("%s as %s: %d, want it let through (%s)", rt.Pattern, who, code, body)
			}
			if code == 403 && len(rg.withAction(t, evidence.ActionAccessDenied)) != denied+1 {
				t.Errorf("%s as %s: refused but not in the evidence log", rt.Pattern, who)
			}
		}
	}
}
