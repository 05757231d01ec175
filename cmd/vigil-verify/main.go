// Command vigil-verify checks a Vigil police export bundle offline against
// the council's published key, as docs/evidence-format.md §6 specifies:
//
//	vigil-verify -key COUNCIL.pub [-prior CHECKPOINT] [-json] BUNDLE
//
// BUNDLE is the export folder or its .zip. The exit status is 0 only when
// every check passed, 1 when the bundle failed verification, 2 on a usage
// error (no key, unreadable arguments).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vigil-cctv/vigil/evidence/bundle"
	"golang.org/x/mod/sumdb/note"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage: vigil-verify -key COUNCIL.pub [-prior CHECKPOINT] [-json] BUNDLE

Checks a Vigil evidence export (a folder or its .zip) against the council's
public key, which you must get from the council directly, never from the
bundle. -prior is a checkpoint file you kept from an earlier export: the log
must not have been rolled back or forked since.
Exit status: 0 verified, 1 not verified, 2 usage error.
`

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vigil-verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	keyFile := fs.String("key", "", "file holding the council's verifier key (one line)")
	priorFile := fs.String("prior", "", "a signed checkpoint kept from before (optional)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *keyFile == "" || fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	pinned, err := readKey(*keyFile)
	if err != nil {
		fmt.Fprintf(stderr, "vigil-verify: -key: %v\n", err)
		return 2
	}
	var opts bundle.Options
	if *priorFile != "" {
		if opts.Prior, err = readSmall(*priorFile, bundle.MaxCheckpointBytes); err != nil {
			fmt.Fprintf(stderr, "vigil-verify: -prior: %v\n", err)
			return 2
		}
	}
	target := fs.Arg(0)
	st, err := os.Stat(target)
	if err != nil {
		fmt.Fprintf(stderr, "vigil-verify: %v\n", err)
		return 2
	}
	var r *bundle.Report
	if st.IsDir() {
		r = bundle.Verify(target, pinned, opts)
	} else {
		r = verifyZip(target, pinned, opts)
	}
	if *asJSON {
		printJSON(stdout, r)
	} else {
		printText(stdout, r)
	}
	if !r.OK() {
		return 1
	}
	return 0
}

// readKey reads a note verifier key: one line, "<name>+<hash>+<key>".
func readKey(name string) (note.Verifier, error) {
	b, err := readSmall(name, 4096)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(string(b))
	if s == "" || strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("the key file must hold exactly one line, the council's verifier key")
	}
	v, err := note.NewVerifier(s)
	if err != nil {
		return nil, fmt.Errorf("not a verifier key: %v", err)
	}
	return v, nil
}

// readSmall reads a file that must not be larger than max bytes.
func readSmall(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(b)) > max {
		err = fmt.Errorf("%s is over %d bytes", name, max)
	}
	return b, err
}

func printText(w io.Writer, r *bundle.Report) {
	fmt.Fprintf(w, "Vigil evidence bundle: %s\n", r.Dir)
	if m := r.Manifest; m != nil {
		fmt.Fprintf(w, "Export %s, crime reference %s, officer %s\n", m.ExportID, m.CrimeReference, m.Officer)
		fmt.Fprintf(w, "Footage from %s to %s (%s to %s), %d cameras\n", m.From, m.To, m.FromLocal, m.ToLocal, len(m.Cameras))
		for _, c := range m.Cameras {
			for _, l := range c.Locations {
				fmt.Fprintf(w, "Camera %s stood at %s (%s, %s; %.5f, %.5f) from %s to %s\n", c.ID, l.Name, l.Address, l.Ward,
					l.Latitude, l.Longitude, l.FromLocal, l.ToLocal)
			}
			if len(c.PrivacyMasks) > 0 {
				fmt.Fprintf(w, "Camera %s has %d privacy masks: its working copy has them painted black; its masters are native and show them\n", c.ID, len(c.PrivacyMasks))
			}
		}
	}
	for _, c := range r.Checks {
		fmt.Fprintln(w, c.String())
	}
	fmt.Fprintln(w, r.Summary())
}

func printJSON(w io.Writer, r *bundle.Report) {
	out := struct {
		OK      bool   `json:"ok"`
		Summary string `json:"summary"`
		*bundle.Report
	}{r.OK(), r.Summary(), r}
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	e.Encode(out)
}
