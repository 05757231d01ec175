package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/plategen"
)

// anprGenerate writes synthetic UK plate data sets:
//
//	vigil anpr generate -kind chars|scenes|plates -n N -seed S -out DIR [-night F] [-blur F]
func anprGenerate(args []string) int {
	fs := flag.NewFlagSet("anpr generate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	kind := fs.String("kind", "", "chars (normalised character crops), scenes (640x360 road frames) or plates (degraded plate close-ups)")
	n := fs.Int("n", 0, "number of items")
	seed := fs.Int64("seed", -1, "random seed: 1000..1999 for training, >= 9000 for test sets")
	out := fs.String("out", "", "output directory")
	night := fs.Float64("night", -1, "share of night pictures, 0..1 (default: 0.3)")
	blur := fs.Float64("blur", -1, "share of strongly blurred pictures, 0..1 (default: 0.25)")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(os.Stderr, "vigil anpr generate: %v\n", err)
		genUsage(fs)
		return 2
	}
	opt, err := genOptions(*kind, *n, *seed, *out, *night, *blur, fs.NArg())
	if err != nil {
		fmt.Fprintf(os.Stderr, "vigil anpr generate: %v\n", err)
		genUsage(fs)
		return 2
	}
	start := time.Now()
	switch *kind {
	case "chars":
		err = plategen.WriteCharsOptions(*out, *n, *seed, opt)
	case "scenes":
		err = plategen.WriteScenes(*out, *n, *seed, opt)
	case "plates":
		err = plategen.WritePlates(*out, *n, *seed, opt)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "vigil anpr generate: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "vigil anpr generate: %d %s (seed %d) in %s, %.1fs\n", *n, *kind, *seed, *out, time.Since(start).Seconds())
	return 0
}

// genOptions checks the flags; -1 means a share was not given.
func genOptions(kind string, n int, seed int64, out string, night, blur float64, extra int) (plategen.SceneOptions, error) {
	opt := plategen.DefaultSceneOptions()
	switch {
	case kind != "chars" && kind != "scenes" && kind != "plates":
		return opt, fmt.Errorf("-kind must be chars, scenes or plates, got %q", kind)
	case n <= 0:
		return opt, fmt.Errorf("-n must be a positive number of items, got %d", n)
	case seed < 0:
		return opt, errors.New("-seed is required (a number >= 0)")
	case out == "":
		return opt, errors.New("-out DIR is required")
	case extra > 0:
		return opt, errors.New("unexpected arguments after the flags")
	}
	if night != -1 {
		if night < 0 || night > 1 {
			return opt, fmt.Errorf("-night must be within 0..1, got %g", night)
		}
		opt.Night = night
	}
	if blur != -1 {
		if blur < 0 || blur > 1 {
			return opt, fmt.Errorf("-blur must be within 0..1, got %g", blur)
		}
		opt.Blur = blur
	}
	return opt, nil
}

func genUsage(fs *flag.FlagSet) {
	fmt.Fprintln(os.Stderr, "usage: vigil anpr generate -kind chars|scenes|plates -n N -seed S -out DIR [-night F] [-blur F]")
	fs.SetOutput(os.Stderr)
	fs.PrintDefaults()
}
