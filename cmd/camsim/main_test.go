package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerateFlag(t *testing.T) {
	dir := t.TempDir()
	err := run([]string{"-generate", "-clips", dir, "-log-level", "warn",
		"-main-size", "96x64", "-main-fps", "5", "-main-bitrate", "100k",
		"-sub-size", "64x48", "-sub-fps", "5", "-sub-bitrate", "50k", "-gop", "1s", "-clip-seconds", "1",
		"-scene", "cam001:frozen"})
	if err != nil {
		t.Fatal(err)
	}
	for _, pattern := range []string{"main_96x64_5fps_5gop_100k_5f_*.h264", "sub_64x48_5fps_5gop_50k_5f_*.h264",
		"scene-frozen_96x64_5fps_5gop_100k_300f_*.h264", "scene-frozen_64x48_5fps_5gop_50k_300f_*.h264"} {
		if m, _ := filepath.Glob(filepath.Join(dir, pattern)); len(m) != 1 {
			t.Errorf("no %s in %s", pattern, dir)
		}
	}
}

func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-main-size", "big"}, "-main-size"},
		{[]string{"-sub-bitrate", "fast"}, "-sub-bitrate"},
		{[]string{"-fault", "cam3:drop=1s"}, "not a camera name"},
		{[]string{"-fault", "cam001:explode"}, "unknown option"},
		{[]string{"-log-level", "loud"}, "-log-level"},
		{[]string{"-scene", "cam001:rain"}, "unknown scene"},
		{[]string{"-scene", "zone"}, "CAMERA:SCENE"},
		{[]string{"-cameras", "2", "-scene", "cam003:zone", "-clips", "/nonexistent/x"}, "Scenes[\"cam003\"]: no such camera"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-cameras", "2", "-fault", "cam005:refuse", "-clips", "/nonexistent/x"}, "no such camera"},
	} {
		err := run(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
	if err := run([]string{"-h"}); err != nil {
		t.Errorf("-h: %v", err)
	}
}
