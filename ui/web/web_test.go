package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/ui/auth"
)

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.URL.Path = path // raw, so traversal attempts reach the handler unchanged
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestIndex(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/", "/index.html"} {
		rec := get(t, h, p)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", p, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: Content-Type %q", p, ct)
		}
		body := rec.Body.String()
		if !strings.Contains(body, `<script type="module" src="/static/app.js">`) || !strings.Contains(body, "/static/style.css") {
			t.Errorf("%s: the page does not load app.js and style.css:\n%s", p, body)
		}
		if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
			t.Errorf("%s: the page names another host", p)
		}
		checkHeaders(t, p, rec)
	}
}

func checkHeaders(t *testing.T, p string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("%s: Cache-Control %q", p, cc)
	}
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "connect-src 'self'", "script-src 'self'", "style-src 'self'",
		"media-src 'self' blob:", "img-src 'self' blob: data:"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %q", p, csp, want)
		}
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: no nosniff", p)
	}
}

func TestStaticTypes(t *testing.T) {
	h := Handler()
	for path, want := range map[string]string{
		"/static/app.js":         "text/javascript",
		"/static/api.js":         "text/javascript",
		"/static/live.js":        "text/javascript",
		"/static/pages/login.js": "text/javascript",
		"/static/style.css":      "text/css",
	} {
		rec := get(t, h, path)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: status %d", path, rec.Code)
			continue
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, want) {
			t.Errorf("%s: Content-Type %q, want %s", path, ct, want)
		}
		if rec.Body.Len() == 0 {
			t.Errorf("%s: empty", path)
		}
		checkHeaders(t, path, rec)
	}
}

func TestRevalidate(t *testing.T) {
	h := Handler()
	rec := get(t, h, "/static/app.js")
	tag := rec.Header().Get("ETag")
	if tag == "" {
		t.Fatal("no ETag")
	}
	req := httptest.NewRequest(http.MethodGet, "/static/app.js", nil)
	req.Header.Set("If-None-Match", tag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("revalidation: status %d, want 304", rec.Code)
	}
}

func TestNotFound(t *testing.T) {
	h := Handler()
	for _, p := range []string{
		"/static/nope.js", "/static/", "/static/pages", "/static/pages/", "/favicon.ico", "/api/v1/session",
		"/static/../web.go", "/static/../../go.mod", "/static/pages/../../web.go", "/static//etc/passwd",
		"/static/..%2fweb.go", "/static/pages\\..\\..\\web.go", "/web.go", "/static/./app.js",
	} {
		rec := get(t, h, p)
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, rec.Code)
		}
		if strings.Contains(rec.Body.String(), "package web") {
			t.Errorf("%s: served Go source", p)
		}
	}
}

func TestMethods(t *testing.T) {
	h := Handler()
	req := httptest.NewRequest(http.MethodPost, "/static/app.js", strings.NewReader("x"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d", rec.Code)
	}
	req = httptest.NewRequest(http.MethodHead, "/static/app.js", nil)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD: status %d, %d bytes", rec.Code, rec.Body.Len())
	}
}

// No file in the app may reach another host: the CSP would block it, but
// a reference to one is a bug to find here, not in the control room.
func TestNoExternalReferences(t *testing.T) {
	h := Handler().(handler)
	var walk func(dir string)
	walk = func(dir string) {
		entries, err := readDir(h, dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := e
			if dir != "." {
				name = dir + "/" + e
			}
			if strings.HasSuffix(e, "/") {
				walk(strings.TrimSuffix(name, "/"))
				continue
			}
			data := read(h, name)
			for _, bad := range []string{"http://", "https://", "//cdn", "fonts.googleapis"} {
				if i := strings.Index(data, bad); i >= 0 {
					// a namespace URI for SVG is not a request
					if strings.Contains(data[max(0, i-5):min(len(data), i+40)], "www.w3.org/2000/svg") {
						continue
					}
					t.Errorf("%s names %q near %q", name, bad, data[max(0, i-30):min(len(data), i+40)])
				}
			}
		}
	}
	walk(".")
}

func readDir(h handler, dir string) ([]string, error) {
	entries, err := fs.ReadDir(h.static, dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() {
			n += "/"
		}
		out = append(out, n)
	}
	return out, nil
}

func read(h handler, name string) string {
	b, _ := fs.ReadFile(h.static, name)
	return string(b)
}

// app.js keeps a copy of the role matrix for sessions that do not list
// their permissions: it must say what ui/auth says.
func TestMatrixCopy(t *testing.T) {
	src := read(Handler().(handler), "app.js")
	start := strings.Index(src, "const MATRIX = {")
	end := strings.Index(src[start:], "\n};")
	if start < 0 || end < 0 {
		t.Fatal("no MATRIX in app.js")
	}
	block := src[start : start+end]
	entry := regexp.MustCompile(`(\w+): \[([^\]]*)\]`)
	seen := map[auth.Role]bool{}
	for _, m := range entry.FindAllStringSubmatch(block, -1) {
		role := auth.Role(m[1])
		seen[role] = true
		got := map[auth.Permission]bool{}
		for _, p := range regexp.MustCompile(`'([a-z._]+)'`).FindAllStringSubmatch(m[2], -1) {
			got[auth.Permission(p[1])] = true
		}
		for _, p := range auth.Permissions() {
			if role.Has(p) != got[p] {
				t.Errorf("app.js: %s %s = %t, ui/auth says %t", role, p, got[p], role.Has(p))
			}
		}
	}
	for _, r := range auth.Roles {
		if !seen[r] {
			t.Errorf("app.js MATRIX lacks role %s", r)
		}
	}
}
