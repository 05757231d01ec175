package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/evidence/bundle/bundletest"
)

// binary builds the real vigil-verify once per test that needs it.
func binary(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "vigil-verify")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", exe, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

func keyFile(t *testing.T, b *bundletest.Bundle) string {
	p := filepath.Join(t.TempDir(), "council.pub")
	if err := os.WriteFile(p, []byte(b.VKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func exitCode(t *testing.T, err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

func TestBinary(t *testing.T) {
	exe := binary(t)
	b := bundletest.New(t)
	key := keyFile(t, b)
	out, err := exec.Command(exe, "-key", key, b.Dir).CombinedOutput()
	if code := exitCode(t, err); code != 0 || !strings.Contains(string(out), "VERIFIED") {
		t.Fatalf("valid bundle: exit %d\n%s", code, out)
	}
	data, _ := os.ReadFile(b.Path(bundletest.Master1))
	data[10] ^= 1
	os.WriteFile(b.Path(bundletest.Master1), data, 0o644)
	out, err = exec.Command(exe, "-key", key, b.Dir).CombinedOutput()
	if code := exitCode(t, err); code != 1 || !strings.Contains(string(out), "FAIL hashes: "+bundletest.Master1+": sha256 mismatch") {
		t.Fatalf("tampered bundle: exit %d\n%s", code, out)
	}
	out, err = exec.Command(exe, b.Dir).CombinedOutput()
	if code := exitCode(t, err); code != 2 {
		t.Fatalf("no -key: exit %d\n%s", code, out)
	}
}

func TestRunJSONAndPrior(t *testing.T) {
	b := bundletest.New(t)
	key := keyFile(t, b)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-key", key, "-json", b.Dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	var rep struct {
		OK     bool
		Checks []struct {
			Name string
			OK   bool
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || !rep.OK || len(rep.Checks) != 8 {
		t.Fatalf("JSON report %+v, %v:\n%s", rep, err, stdout.String())
	}
	cp, err := b.Log.Checkpoint(b.Size + 0)
	if err != nil {
		t.Fatal(err)
	}
	prior := filepath.Join(t.TempDir(), "prior")
	os.WriteFile(prior, cp, 0o644)
	if code := run([]string{"-key", key, "-prior", prior, b.Dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("-prior same checkpoint: exit %d\n%s", code, stdout.String())
	}
	for _, args := range [][]string{
		{}, {"-key", key}, {"-key", key, b.Dir, b.Dir}, {"-key", key, filepath.Join(b.Dir, "nope")},
		{"-key", filepath.Join(b.Dir, bundletest.Master1), b.Dir}, {"-key", key, "-prior", "/nonexistent", b.Dir},
	} {
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
	}
}

// zipDir zips a bundle folder under a top-level folder, as exports are.
func zipDir(t *testing.T, dir string, extra func(*zip.Writer)) string {
	p := filepath.Join(t.TempDir(), "export.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		w, _ := zw.Create("export-1/" + filepath.ToSlash(rel))
		data, _ := os.ReadFile(p)
		w.Write(data)
		return nil
	})
	if extra != nil {
		extra(zw)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func TestZip(t *testing.T) {
	b := bundletest.New(t)
	key := keyFile(t, b)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-key", key, zipDir(t, b.Dir, nil)}, &stdout, &stderr); code != 0 {
		t.Fatalf("zipped bundle: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	for name, extra := range map[string]func(*zip.Writer){
		"zip slip": func(zw *zip.Writer) { w, _ := zw.Create("export-1/../../evil"); w.Write([]byte("x")) },
		"absolute": func(zw *zip.Writer) { w, _ := zw.Create("/etc/evil"); w.Write([]byte("x")) },
		"symlink": func(zw *zip.Writer) {
			h := &zip.FileHeader{Name: "export-1/link"}
			h.SetMode(fs.ModeSymlink | 0o777)
			w, _ := zw.CreateHeader(h)
			w.Write([]byte("/etc/passwd"))
		},
		"twice": func(zw *zip.Writer) { w, _ := zw.Create("export-1/README.txt"); w.Write([]byte("x")) },
		"extra": func(zw *zip.Writer) { w, _ := zw.Create("export-1/media/cam001/evil.mp4"); w.Write([]byte("x")) },
	} {
		stdout.Reset()
		if code := run([]string{"-key", key, zipDir(t, b.Dir, extra)}, &stdout, &stderr); code != 1 {
			t.Errorf("%s: exit %d, want 1\n%s", name, code, stdout.String())
		}
	}
	notZip := filepath.Join(t.TempDir(), "x.zip")
	os.WriteFile(notZip, []byte("PK not really"), 0o644)
	if code := run([]string{"-key", key, notZip}, &stdout, &stderr); code != 1 {
		t.Errorf("not a zip: exit %d, want 1", code)
	}
}

// TestCrossBuild: police run the verifier on Windows and macOS laptops, so
// it must build there without cgo.
func TestCrossBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds for three platforms")
	}
	for _, target := range []string{"linux/amd64", "windows/amd64", "darwin/arm64"} {
		goos, goarch, _ := strings.Cut(target, "/")
		cmd := exec.Command("go", "build", "-o", os.DevNull, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", target, err, out)
		}
	}
}
