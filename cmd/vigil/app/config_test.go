package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vigil.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfigFillsDefaults(t *testing.T) {
	c, err := LoadConfig(writeConfig(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":8080" || c.Ingest.ReadTimeout != 10*time.Second || c.Ingest.ReconnectMax != 30*time.Second || c.Demo.Enabled {
		t.Fatalf("defaults not applied: %+v", c)
	}
	if c.TLS.Mode != "on" || c.TLS.CertFile != "" || c.Access.SessionIdle != 30*time.Minute || c.Access.LockAfter != 5 {
		t.Fatalf("TLS and access defaults not applied: %+v %+v", c.TLS, c.Access)
	}
}

func TestLoadConfigCameras(t *testing.T) {
	t.Setenv("CAM2_PASS", "from-env")
	c, err := LoadConfig(writeConfig(t, `
listen: 127.0.0.1:9090
ingest:
  transport: udp
  read_timeout: 15s
cameras:
  - id: cam001
    name: High St
    main_url: rtsp://admin:pw@10.0.0.1/main
    latitude: 51.54
    longitude: 0.08
  - id: cam002
    kind: mobile
    main_url: rtsp://10.0.0.2/main
    username: viewer
    password_env: CAM2_PASS
    enabled: false
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Ingest.Transport != "udp" || c.Ingest.ReadTimeout != 15*time.Second {
		t.Fatalf("ingest: %+v", c.Ingest)
	}
	c1, c2 := c.Cameras[0].Camera(), c.Cameras[1].Camera()
	if c1.Username != "admin" || c1.Password != "pw" || strings.Contains(c1.MainURL, "pw") || !c1.Enabled {
		t.Fatalf("cam001: %+v", c1)
	}
	if c2.Password != "from-env" || c2.Enabled || c2.Kind != "mobile" || c2.RetentionDays != 31 {
		t.Fatalf("cam002: %+v", c2)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"unknown key", "listne: :80\n", []string{"listne", "line 1"}},
		{"bad values", `
listen: nope
log_level: loud
ingest:
  transport: sctp
  read_timeout: 10ms
  reconnect_min: 5s
  reconnect_max: 1s
`, []string{"listen:", "log_level:", "ingest.transport:", "ingest.read_timeout:", "ingest.reconnect_max:"}},
		{"bad cameras", `
cameras:
  - id: cam001
    main_url: http://10.0.0.1/x
  - id: cam001
    main_url: rtsp://10.0.0.2/x
    kind: dome
    latitude: 100
    longitude: 0
  - id: cam003
    main_url: rtsp://10.0.0.3/x
    password_env: VIGIL_TEST_UNSET_VARIABLE
`, []string{"cameras[0].main_url:", "cameras[1].id:", "cameras[1].kind:", "cameras[1].latitude:", "cameras[2].password_env:"}},
		{"wrong type", "ingest:\n  read_timeout: soon\n", []string{"line 2", "soon", "time.Duration"}},
		{"bad tls mode", "tls:\n  mode: maybe\n", []string{"tls.mode:", "maybe"}},
		{"bad demo scene", "demo:\n  enabled: true\n  scenes:\n    cam002: fog\n    camera9: zone\n", []string{"demo.scenes:", "fog", "camera9"}},
		{"certificate without its key", "tls:\n  cert_file: /etc/vigil/cert.pem\n", []string{"tls.cert_file:", "key_file"}},
		{"key without its certificate", "tls:\n  key_file: /etc/vigil/key.pem\n", []string{"tls.cert_file:", "key_file"}},
		{"session idle too short", "access:\n  session_idle: 10s\n", []string{"access.session_idle:", "10s"}},
		{"session idle too long", "access:\n  session_idle: 48h\n", []string{"access.session_idle:", "48h"}},
		{"no lockout", "access:\n  lock_after: 0\n", []string{"access.lock_after:", "0 must be"}},
		{"live port", "live:\n  udp_port: 70000\n", []string{"live.udp_port:", "70000 must be a port"}},
		{"live all off", "live:\n  udp_port: -1\n  tcp_port: -1\n", []string{"live.udp_port:", "cannot both be off"}},
		{"live per user", "live:\n  max_viewers: 10\n  max_viewers_per_user: 11\n", []string{"live.max_viewers_per_user:", "11 must be"}},
		{"live nat ip", "live:\n  nat_1to1_ips: [vigil.example]\n", []string{"live.nat_1to1_ips[0]:", "not an IP"}},
		{"live ice url", "live:\n  ice_servers:\n    - urls: [http://stun.example]\n", []string{"live.ice_servers[0].urls:", "stun:"}},
		{"grafana url", "grafana_url: grafana:3000\n", []string{"grafana_url:", "http(s) URL"}},
		{"s3", "recorder:\n  s3:\n    endpoint: https://s3.example/x\n    bucket: Footage_1\n    upload_workers: 0\n    upload_interval: 1h\n",
			[]string{"recorder.s3.endpoint:", "recorder.s3.bucket:", "recorder.s3.access_key:", "recorder.s3.upload_workers:", "recorder.s3.upload_interval:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(writeConfig(t, tc.body))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q: %v", w, err)
				}
			}
		})
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	t.Setenv("VIGIL_LISTEN", "127.0.0.1:9999")
	t.Setenv("VIGIL_INGEST_READ_TIMEOUT", "20s")
	t.Setenv("VIGIL_DEMO_CAMERAS", "12")
	c, err := DemoConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9999" || c.Ingest.ReadTimeout != 20*time.Second || c.Demo.Cameras != 12 || !c.Demo.Enabled {
		t.Fatalf("overrides not applied: %+v", c)
	}
	// The object store's keys come from the environment, not the file.
	t.Setenv("VIGIL_RECORDER_S3_SECRET_KEY", "s3cr3t")
	if c, err := DemoConfigFromEnv(); err != nil || c.Recorder.S3.SecretKey != "s3cr3t" || !c.Recorder.S3.TLS {
		t.Fatalf("s3 secret from the environment: %+v %v", c.Recorder.S3, err)
	}
	t.Setenv("VIGIL_INGEST_RECONNECT_MAX", "forever")
	if _, err := DemoConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "ingest.reconnect_max") || !strings.Contains(err.Error(), "VIGIL_INGEST_RECONNECT_MAX") {
		t.Fatalf("bad env value: %v", err)
	}
}

func TestMissingConfigFile(t *testing.T) {
	_, err := LoadConfig(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("missing file: %v", err)
	}
}
