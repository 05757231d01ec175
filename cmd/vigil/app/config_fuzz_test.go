package app

import (
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzLoadConfig: any file gives a config or a clear error, never a panic;
// an accepted config written back out as YAML parses to the same config,
// and every camera in it is one the registry accepts.
func FuzzLoadConfig(f *testing.F) {
	for _, seed := range []string{
		"",
		"listen: 127.0.0.1:9090\ningest:\n  transport: udp\n  read_timeout: 15s\n",
		"cameras:\n  - id: cam001\n    main_url: rtsp://a:b@10.0.0.1/main\n    latitude: 51.5\n    longitude: 0.1\n",
		"cameras:\n  - id: cam001\n    main_url: rtsp://x/y\n  - id: cam001\n    main_url: rtsp://x/z\n",
		"demo:\n  enabled: true\n  cameras: 0\n",
		"anpr:\n  enabled: true\n  cameras: [cam001]\n  rules:\n    - name: cruising\n      kind: repeat-pass\n      cameras: [cam001, cam002]\n      window: 30m\n      hours: [22, 6]\n",
		"ingest: [1, 2]\n", "listen: {a: b}\n", "&a [*a]\n", "cameras: !!binary aGVsbG8=\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		c, err := ParseConfig("fuzz.yaml", []byte(body))
		if err != nil {
			return
		}
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("an accepted config does not marshal: %v", err)
		}
		again, err := ParseConfig("round-trip.yaml", out)
		if err != nil {
			t.Fatalf("an accepted config, written out, is rejected: %v\n%s", err, out)
		}
		if len(c.Cameras) == 0 && len(again.Cameras) == 0 {
			c.Cameras, again.Cameras = nil, nil // "cameras: []" and no key mean the same
		}
		if len(c.ANPR.Cameras) == 0 && len(again.ANPR.Cameras) == 0 {
			c.ANPR.Cameras, again.ANPR.Cameras = nil, nil
		}
		if len(c.ANPR.Rules) == 0 && len(again.ANPR.Rules) == 0 {
			c.ANPR.Rules, again.ANPR.Rules = nil, nil
		}
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("config changed in a round trip:\n%+v\n%+v", c, again)
		}
		for _, cc := range c.Cameras {
			cam := cc.Camera()
			if err := cam.Validate(); err != nil {
				t.Fatalf("accepted camera %q does not validate: %v", cc.ID, err)
			}
		}
	})
}
