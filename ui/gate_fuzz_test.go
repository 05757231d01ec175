package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/ui/auth"
)

// FuzzSignIn throws hostile sign-in bodies, cookies and Authorization
// headers at the server: none may crash it, none may be let in without the
// right password, and a protected route stays closed to them.
func FuzzSignIn(f *testing.F) {
	for _, seed := range []struct{ body, cookie, authz string }{
		{`{"username":"op1","password":"` + testPassword + `"}`, "", ""},
		{`{"username":"op1","password":"wrong"}`, "x", "Bearer vgt_x"},
		{`{"username":"OP1 ","password":"","totp":"123456"}`, "", "Basic b3A6cHc="},
		{`{"username":"` + strings.Repeat("a", 300) + `"}`, strings.Repeat("=", 100), "Bearer "},
		{`{"username":1}`, "\x00", "Bearer vgt_\xff"}, {``, "", ""}, {`{}{}`, "", ""},
	} {
		f.Add(seed.body, seed.cookie, seed.authz)
	}
	rg := newRig(f)
	rg.user(f, "op1", "operator", auth.Scope{})
	h := rg.srv.Handler()
	f.Fuzz(func(t *testing.T, body, cookie, authz string) {
		req := httptest.NewRequest("POST", "/api/v1/session", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK && !strings.Contains(body, testPassword) {
			t.Fatalf("signed in without the password: %q", body)
		}
		req = httptest.NewRequest("GET", "/api/v1/cameras", nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		if cookie != "" {
			req.Header.Set("Cookie", sessionCookie+"="+cookie)
		}
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("cookie %q, authorization %q: %d, want 401", cookie, authz, rec.Code)
		}
	})
}
