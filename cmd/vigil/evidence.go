package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/cmd/vigil/app"
	"github.com/vigil-cctv/vigil/evidence/export"
)

const evidenceUsage = `usage: vigil evidence COMMAND [-config FILE] [flags]

  keygen       create the council's evidence signing key; prints the public key
  pubkey       print the public key (give it to the police out of band)
  rotate-key   -by NAME: replace the signing key (logged; co-signed by the old key)
  check        re-read the log, recompute the tree, check the last checkpoint
  export       -camera ID[,ID] -from T -to T -ref CRIME_REF -officer NAME -reason TEXT
               [-requested-by NAME] [-approved-by NAME] -out DIR
               write a police evidence bundle (folder and zip) into DIR

These work on a stopped service's data; while vigil serve runs, use its API
(POST /api/v1/exports, GET /api/v1/evidence/key).
`

func evidenceCmd(args []string) int {
	if len(args) < 1 {
		fmt.Fprint(os.Stderr, evidenceUsage)
		return 2
	}
	fs := flag.NewFlagSet("evidence "+args[0], flag.ContinueOnError)
	path := fs.String("config", "", "config file (YAML); without it, the demo site's settings")
	by := fs.String("by", "", "who is doing this (rotate-key)")
	cams := fs.String("camera", "", "camera id(s), comma-separated (export)")
	from := fs.String("from", "", "start, RFC 3339 (export)")
	to := fs.String("to", "", "end, RFC 3339 (export)")
	ref := fs.String("ref", "", "crime reference (export)")
	officer := fs.String("officer", "", "the officer the export is for (export)")
	reason := fs.String("reason", "", "why (export)")
	requestedBy := fs.String("requested-by", "", "who asked (export; default the officer)")
	approvedBy := fs.String("approved-by", "", "who approved (export; required)")
	out := fs.String("out", "", "directory for the bundle (export)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	cfg, err := loadOrDemo(*path)
	if err != nil {
		printConfigError(*path, err)
		return 1
	}
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "vigil evidence:", err)
		return 1
	}
	switch args[0] {
	case "keygen":
		pub, err := app.KeyGen(cfg)
		if err != nil {
			return fail(err)
		}
		fmt.Println(pub)
	case "pubkey":
		pub, err := app.PublicKey(cfg)
		if err != nil {
			return fail(err)
		}
		fmt.Println(pub)
	case "rotate-key":
		if *by == "" {
			return fail(fmt.Errorf("-by: say who is rotating the key"))
		}
		pub, err := app.RotateKey(cfg, *by)
		if err != nil {
			return fail(err)
		}
		fmt.Println(pub)
	case "check":
		n, err := app.CheckLog(cfg)
		if err != nil {
			return fail(err)
		}
		fmt.Printf("evidence log ok: %d entries, tree matches the last signed checkpoint\n", n)
	case "export":
		r := export.Request{CrimeRef: *ref, Officer: *officer, Reason: *reason, RequestedBy: *requestedBy, ApprovedBy: *approvedBy}
		if *cams != "" {
			r.Cameras = strings.Split(*cams, ",")
		}
		if r.RequestedBy == "" {
			r.RequestedBy = r.Officer
		}
		var err1, err2 error
		r.From, err1 = time.Parse(time.RFC3339Nano, *from)
		r.To, err2 = time.Parse(time.RFC3339Nano, *to)
		if err1 != nil || err2 != nil {
			return fail(fmt.Errorf("-from and -to: RFC 3339 times, e.g. 2026-11-23T14:00:00Z"))
		}
		if *out == "" {
			return fail(fmt.Errorf("-out: the directory to write the bundle into"))
		}
		res, err := app.Export(cfg, r, *out)
		if err != nil {
			return fail(err)
		}
		fmt.Printf("bundle:   %s\nzip:      %s\nmasters:  %d files, %d bytes\nlog tree: %d entries (checkpoint signed)\n",
			res.Dir, res.Zip, res.Masters, res.Bytes, res.Checkpoint.Size)
	default:
		fmt.Fprint(os.Stderr, evidenceUsage)
		return 2
	}
	return 0
}
