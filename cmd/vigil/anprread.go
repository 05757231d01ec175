package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr"
)

// anprRead reads still images: vigil anpr read [-region gb|any] [-json] IMAGE...
// One line per file; a file that cannot be read is reported and the rest
// still read; the exit status is 1 if any failed.
func anprRead(args []string) int {
	fs := flag.NewFlagSet("anpr read", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	region := fs.String("region", "gb", "gb (UK syntax and correction) or any")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	model := fs.String("model", "", "character model (default: the embedded one)")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		if err != nil {
			fmt.Fprintf(os.Stderr, "vigil anpr read: %v\n", err)
		}
		fmt.Fprintln(os.Stderr, "usage: vigil anpr read [-region gb|any] [-json] [-model FILE] IMAGE...")
		return 2
	}
	r, err := anpr.New(anpr.Options{Region: *region, ModelPath: *model})
	if err != nil {
		fmt.Fprintf(os.Stderr, "vigil anpr read: %v\n", err)
		return 1
	}
	defer r.Close()
	return readImages(r, fs.Args(), *asJSON, os.Stdout)
}

type jsonPlate struct {
	Text       string  `json:"text"`
	Confidence float32 `json:"confidence"`
	Box        [4]int  `json:"box"` // x, y, width, height
}

type jsonRead struct {
	File   string      `json:"file"`
	Plates []jsonPlate `json:"plates"`
	Error  string      `json:"error,omitempty"`
}

func readImages(r *anpr.Reader, files []string, asJSON bool, w io.Writer) int {
	status := 0
	enc := json.NewEncoder(w)
	for _, f := range files {
		out := jsonRead{File: f, Plates: []jsonPlate{}}
		ps, err := r.ReadFile(f)
		if err != nil {
			out.Error = err.Error()
			status = 1
		}
		for _, p := range ps {
			b := p.Box
			out.Plates = append(out.Plates, jsonPlate{Text: p.Text, Confidence: p.Confidence, Box: [4]int{b.Min.X, b.Min.Y, b.Dx(), b.Dy()}})
		}
		switch {
		case asJSON:
			enc.Encode(out)
		case err != nil:
			fmt.Fprintf(w, "%s: error: %v\n", f, err)
		case len(ps) == 0:
			fmt.Fprintf(w, "%s: no plate\n", f)
		default:
			fmt.Fprintf(w, "%s:", f)
			for _, p := range out.Plates {
				fmt.Fprintf(w, " %q %.2f at %d,%d %dx%d;", p.Text, p.Confidence, p.Box[0], p.Box[1], p.Box[2], p.Box[3])
			}
			fmt.Fprintln(w)
		}
	}
	return status
}

// anprEval scores a labelled folder: vigil anpr eval -data DIR [-region gb|any] [-json] [-misses] [-model FILE]
func anprEval(args []string) int {
	fs := flag.NewFlagSet("anpr eval", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "", "folder: openalpr benchmark layout (NAME.jpg + NAME.txt), CLASS-*.jpg character crops, or a plategen labels.csv set")
	region := fs.String("region", "gb", "gb or any")
	asJSON := fs.Bool("json", false, "the report as JSON")
	misses := fs.Bool("misses", false, "list the plates not read")
	model := fs.String("model", "", "character model (default: the embedded one)")
	if err := fs.Parse(args); err != nil || *data == "" || fs.NArg() > 0 {
		if err != nil {
			fmt.Fprintf(os.Stderr, "vigil anpr eval: %v\n", err)
		}
		fmt.Fprintln(os.Stderr, "usage: vigil anpr eval -data DIR [-region gb|any] [-json] [-misses] [-model FILE]")
		return 2
	}
	r, err := anpr.New(anpr.Options{Region: *region, ModelPath: *model})
	if err != nil {
		fmt.Fprintf(os.Stderr, "vigil anpr eval: %v\n", err)
		return 1
	}
	defer r.Close()
	rep, err := r.Eval(*data)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vigil anpr eval: %v\n", err)
		return 1
	}
	if !*misses {
		rep.Misses = nil
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
		return 0
	}
	fmt.Print(rep.Table())
	for _, m := range rep.Misses {
		fmt.Println("  miss:", m)
	}
	return 0
}
