package ui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// FuzzCameraInput drives a request body through what POST /api/v1/cameras
// does before the store: strict decoding, merging, normalizing, validating.
// Whatever passes must be a camera Vigil can run, with no credentials left
// in its URLs.
func FuzzCameraInput(f *testing.F) {
	for _, seed := range []string{
		`{"id":"cam001","main_url":"rtsp://10.0.0.1/main"}`,
		`{"id":"cam002","name":"High St","kind":"mobile","main_url":"rtsp://u:p@10.0.0.2:554/a","sub_url":"rtsps://10.0.0.2/b","latitude":51.5,"longitude":0.08,"retention_days":14,"enabled":false}`,
		`{"id":"x","main_url":"rtsp://[::1]:8554/cam","username":"admin","password":"pw"}`,
		`{"id":"Bad ID","main_url":"http://x","kind":"dome","retention_days":-1,"latitude":91}`,
		`{"main_url":"rtsp://%zz@host/"}`,
		`{"id":"cam003","main_url":"rtsp://user:p%40ss@host/x"}`,
		`[1,2]`, `{"id":1}`, `{}{}`, ``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/cameras", strings.NewReader(body))
		var in cameraInput
		if err := decodeBody(httptest.NewRecorder(), req, &in); err != nil {
			return
		}
		c := store.Camera{Enabled: true, ManagedBy: store.ManagedByAPI}
		if in.ID != nil {
			c.ID = *in.ID
		}
		in.applyTo(&c)
		c.Normalize()
		if c.Validate() != nil {
			return
		}
		for _, raw := range []string{c.MainURL, c.SubURL} {
			if raw == "" {
				continue
			}
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatalf("valid camera with unparsable URL %q: %v", raw, err)
			}
			if u.User != nil {
				t.Fatalf("credentials left in a stored URL: %q", raw)
			}
		}
		if c.Password != "" && c.Username == "" {
			t.Fatalf("password without username passed validation")
		}
	})
}
