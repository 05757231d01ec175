package ui

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestReadyz: /readyz is public and answers 200 "ready" while Ready
// passes (or there is none), 503 with Ready's reason (its first line)
// while it fails; /healthz, the liveness probe, says ok throughout.
func TestReadyz(t *testing.T) {
	rg := newRig(t)
	probe := func(path string) (int, string, string) {
		t.Helper()
		res, body := rg.anon().raw(t, "GET", path, "", nil)
		return res.StatusCode, body, res.Header.Get("Content-Type")
	}
	check := func(what string, wantCode int, wantBody string) {
		t.Helper()
		code, body, ctype := probe("/readyz")
		if code != wantCode || body != wantBody || ctype != "text/plain; charset=utf-8" {
			t.Errorf("%s: /readyz %d %q (%s), want %d %q (text/plain)", what, code, body, ctype, wantCode, wantBody)
		}
		if code, body, _ := probe("/healthz"); code != http.StatusOK || body != "ok\n" {
			t.Errorf("%s: /healthz %d %q, want 200 ok", what, code, body)
		}
	}

	check("no check", http.StatusOK, "ready\n")

	var fail error
	var deadline time.Duration
	rg.srv.Ready = func(ctx context.Context) error {
		d, ok := ctx.Deadline()
		if !ok {
			return errors.New("no deadline")
		}
		deadline = time.Until(d)
		return fail
	}
	rg.rebuild(t)
	check("check passes", http.StatusOK, "ready\n")
	if deadline <= 0 || deadline > readyTimeout {
		t.Errorf("Ready's context ends in %v, want within %v", deadline, readyTimeout)
	}
	fail = errors.New("store unreachable")
	check("store down", http.StatusServiceUnavailable, "not ready: store unreachable\n")
	fail = errors.New("shutting down\nsecond line")
	check("two lines", http.StatusServiceUnavailable, "not ready: shutting down\n")
	fail = nil
	check("store back", http.StatusOK, "ready\n")
}
