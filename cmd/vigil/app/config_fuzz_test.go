package app

import "testing"

// FuzzLoadConfig: any file gives a config that validates, or an error;
// never a panic, and never a valid config that fails its own Validate.
func FuzzLoadConfig(f *testing.F) {
	for _, seed := range []string{
		"",
		"listen: 127.0.0.1:9090\ningest:\n  transport: udp\n  read_timeout: 15s\n",
		"cameras:\n  - id: cam001\n    main_url: rtsp://a:b@10.0.0.1/main\n    latitude: 51.5\n    longitude: 0.1\n",
		"cameras:\n  - id: cam001\n    main_url: rtsp://x/y\n  - id: cam001\n    main_url: rtsp://x/z\n",
		"demo:\n  enabled: true\n  cameras: 0\n",
		"ingest: [1, 2]\n", "listen: {a: b}\n", "&a [*a]\n", "cameras: !!binary aGVsbG8=\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		c, err := ParseConfig("fuzz.yaml", []byte(body))
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("LoadConfig accepted a config that does not validate: %v", err)
		}
		for _, cc := range c.Cameras {
			cam := cc.Camera()
			if err := cam.Validate(); err != nil {
				t.Fatalf("accepted camera %q does not validate: %v", cc.ID, err)
			}
		}
	})
}
