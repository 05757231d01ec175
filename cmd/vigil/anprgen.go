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
	g, err := parseGenerate(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vigil anpr generate: %v\n", err)
		fmt.Fprintln(os.Stderr, "usage: vigil anpr generate -kind chars|scenes|plates -n N -seed S -out DIR [-night F] [-blur F]")
		return 2
	}
	start := time.Now()
	if err := g.run(); err != nil {
		fmt.Fprintf(os.Stderr, "vigil anpr generate: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "vigil anpr generate: %d %s (seed %d) in %s, %.1fs\n", g.n, g.kind, g.seed, g.out, time.Since(start).Seconds())
	return 0
}

// generateCmd is a checked generate command line.
type generateCmd struct {
	kind string
	n    int
	seed int64
	out  string
	opt  plategen.SceneOptions
}

func parseGenerate(args []string) (generateCmd, error) {
	def := plategen.DefaultSceneOptions()
	var g generateCmd
	fs := flag.NewFlagSet("anpr generate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&g.kind, "kind", "", "chars (normalised character crops), scenes (640x360 road frames) or plates (degraded plate close-ups)")
	fs.IntVar(&g.n, "n", 0, "number of items")
	fs.Int64Var(&g.seed, "seed", 0, "random seed: 1000..1999 for training sets, >= 9000 for test sets")
	fs.StringVar(&g.out, "out", "", "output directory")
	fs.Float64Var(&g.opt.Night, "night", def.Night, "share of night pictures, 0..1")
	fs.Float64Var(&g.opt.Blur, "blur", def.Blur, "share of strongly blurred pictures, 0..1")
	if err := fs.Parse(args); err != nil {
		return g, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case g.kind != "chars" && g.kind != "scenes" && g.kind != "plates":
		return g, fmt.Errorf("-kind must be chars, scenes or plates, got %q", g.kind)
	case g.n <= 0:
		return g, fmt.Errorf("-n must be a positive number of items, got %d", g.n)
	case !set["seed"]:
		return g, errors.New("-seed is required (the data set is reproducible from it)")
	case g.seed < 0:
		return g, fmt.Errorf("-seed must not be negative, got %d", g.seed)
	case g.out == "":
		return g, errors.New("-out DIR is required")
	case g.opt.Night < 0 || g.opt.Night > 1:
		return g, fmt.Errorf("-night must be within 0..1, got %g", g.opt.Night)
	case g.opt.Blur < 0 || g.opt.Blur > 1:
		return g, fmt.Errorf("-blur must be within 0..1, got %g", g.opt.Blur)
	case fs.NArg() > 0:
		return g, fmt.Errorf("unexpected argument %q after the flags", fs.Arg(0))
	}
	return g, nil
}

func (g generateCmd) run() error {
	switch g.kind {
	case "chars":
		return plategen.WriteCharsOptions(g.out, g.n, g.seed, g.opt)
	case "scenes":
		return plategen.WriteScenes(g.out, g.n, g.seed, g.opt)
	default:
		return plategen.WritePlates(g.out, g.n, g.seed, g.opt)
	}
}
