package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestControlAPI(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *Config) { c.ControlListen = "127.0.0.1:0" })
	base := "http://" + s.ControlAddr()

	do := func(method, path, contentType, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	r, err := dial(t, s.URL(1, StreamMain))
	if err != nil {
		t.Fatal(err)
	}

	if code, body := do("PUT", "/faults/cam001", "application/json", `{"refuse":true}`); code != 200 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if !r.closed(3 * time.Second) {
		t.Fatal("refuse via the API did not close the session")
	}
	if code, body := do("PUT", "/faults/cam002", "text/plain", "stall=1s/10s,corrupt=0.01"); code != 200 {
		t.Fatalf("PUT text: %d %s", code, body)
	}
	code, body := do("GET", "/faults", "", "")
	var faults map[string]Fault
	if err := json.Unmarshal([]byte(body), &faults); code != 200 || err != nil {
		t.Fatalf("GET /faults: %d %s %v", code, body, err)
	}
	if !faults["cam001"].Refuse || faults["cam002"].StallEvery != 10*time.Second || len(faults) != 2 {
		t.Fatalf("faults %+v", faults)
	}
	if code, body := do("GET", "/faults/cam002", "", ""); code != 200 || !strings.Contains(body, `"corrupt_ratio": 0.01`) {
		t.Fatalf("GET one: %d %s", code, body)
	}

	if code, _ := do("DELETE", "/faults/cam001", "", ""); code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", code)
	}
	if _, err := dial(t, s.URL(1, StreamMain)); err != nil {
		t.Fatalf("after DELETE: %v", err)
	}
	if code, body := do("GET", "/faults/cam001", "", ""); code != 200 || strings.TrimSpace(body) != "{}" {
		t.Fatalf("GET cleared: %d %s", code, body)
	}

	for _, tc := range []struct {
		method, path, ctype, body string
		code                      int
	}{
		{"PUT", "/faults/cam009", "application/json", `{"refuse":true}`, 404},
		{"DELETE", "/faults/cam009", "", "", 404},
		{"GET", "/faults/cam009", "", "", 404},
		{"PUT", "/faults/cam001", "application/json", `{"refuse":"yes"}`, 400},
		{"PUT", "/faults/cam001", "application/json", `{"corrupt_ratio":3}`, 400},
		{"PUT", "/faults/cam001", "application/json", `{"bogus":1}`, 400},
		{"PUT", "/faults/cam001", "text/plain", "", 400},
		{"PUT", "/faults/cam001", "text/plain", "explode=1", 400},
		{"PUT", "/faults/cam001", "text/plain", strings.Repeat("x", maxControlBody+1), 413},
		{"POST", "/faults/cam001", "", "", 405},
	} {
		if code, body := do(tc.method, tc.path, tc.ctype, tc.body); code != tc.code {
			t.Errorf("%s %s %.40q: %d %s, want %d", tc.method, tc.path, tc.body, code, body, tc.code)
		}
	}

	code, body = do("GET", "/stats", "", "")
	var stats []CameraStats
	if err := json.Unmarshal([]byte(body), &stats); code != 200 || err != nil || len(stats) != 2 || stats[0].Camera != "cam001" {
		t.Fatalf("GET /stats: %d %s %v", code, body, err)
	}
	code, body = do("GET", "/cameras", "", "")
	if code != 200 || !strings.Contains(body, s.URL(2, StreamSub)) {
		t.Fatalf("GET /cameras: %d %s", code, body)
	}
}
