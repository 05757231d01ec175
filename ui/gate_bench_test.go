package ui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ui/auth"
)

// BenchmarkSignedInRequest measures what the gate adds to a request:
// GET /api/v1/cameras/{id} through the whole server with a session cookie
// (session, user, pseudonym, role and scope checks) against the same
// handler called with the principal already in hand, the baseline, in the
// same run. It reports the ratio.
func BenchmarkSignedInRequest(b *testing.B) {
	rg := newRig(b)
	rg.user(b, "op1", "operator", auth.Scope{})
	h := rg.srv.Handler()
	login := httptest.NewRequest("POST", "/api/v1/session", strings.NewReader(`{"username":"op1","password":"`+testPassword+`"}`))
	login.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, login)
	cookie := rec.Result().Cookies()[0]
	g := newGate(rg.srv)
	u, _ := rg.st.UserByName(b.Context(), "op1")
	p, err := g.principalFor(b.Context(), u)
	if err != nil {
		b.Fatal(err)
	}
	bare := &cameraAPI{cameras: registry{rg.st}, gate: g, logger: rg.srv.Logger}
	run := func(serve func(*httptest.ResponseRecorder, *http.Request)) time.Duration {
		start := time.Now()
		for range b.N {
			req := httptest.NewRequest("GET", "/api/v1/cameras/cam001", nil)
			req.AddCookie(cookie)
			req.SetPathValue("id", "cam001")
			rec := httptest.NewRecorder()
			serve(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
		return time.Since(start)
	}
	base := run(func(w *httptest.ResponseRecorder, r *http.Request) {
		bare.get(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
	signed := run(func(w *httptest.ResponseRecorder, r *http.Request) { h.ServeHTTP(w, r) })
	b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "baseline-ns/op")
	b.ReportMetric(float64(signed.Nanoseconds())/float64(b.N), "signed-ns/op")
	b.ReportMetric(float64(signed)/float64(base), "x-baseline")
}
