// Command vigil is the Vigil video management service.
//
//	vigil serve [-config FILE]   run the service (the demo site with no -config)
//	vigil check -config FILE     validate a config file and exit
//	vigil evidence COMMAND ...   the evidence locker: keys, log check, police exports
//	vigil anpr COMMAND ...       the number-plate reader: read images, evaluate, generate plates
//	vigil migrate [-config FILE] bring the store's schema up to date
//	vigil migrate-store -from sqlite:PATH -to postgres://...   move a site's store
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/vigil-cctv/vigil/cmd/vigil/app"
	"github.com/vigil-cctv/vigil/ingest/store"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "serve":
		os.Exit(serve(os.Args[2:]))
	case "check":
		os.Exit(check(os.Args[2:]))
	case "evidence":
		os.Exit(evidenceCmd(os.Args[2:]))
	case "anpr":
		os.Exit(anprCmd(os.Args[2:]))
	case "reset-password":
		os.Exit(resetPassword(os.Args[2:]))
	case "migrate":
		os.Exit(migrate(os.Args[2:]))
	case "migrate-store":
		os.Exit(migrateStore(os.Args[2:]))
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: vigil serve [-config FILE] | vigil check -config FILE | vigil evidence COMMAND (see vigil evidence)\n"+
		"       | vigil anpr read|eval|generate ... (see vigil anpr)\n"+
		"       | vigil reset-password [-config FILE] -by NAME USERNAME\n"+
		"       | vigil migrate [-config FILE] | vigil migrate-store -from sqlite:PATH -to postgres://USER:PASSWORD@HOST/DB")
	os.Exit(2)
}

func serve(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	path := fs.String("config", "", "config file (YAML); without it, the demo site runs")
	fs.Parse(args)

	cfg, err := loadOrDemo(*path)
	if err != nil {
		printConfigError(*path, err)
		return 1
	}
	a := &app.App{Config: cfg, ConfigPath: *path, LogOutput: os.Stderr, Banner: os.Stdout}
	if err := a.Initialize(); err != nil {
		fmt.Fprintln(os.Stderr, "vigil:", err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	for s := range sig {
		if s == syscall.SIGHUP {
			if err := a.Reload(); err != nil {
				fmt.Fprintln(os.Stderr, "vigil:", err)
			}
			continue
		}
		break
	}
	a.Close()
	return 0
}

func check(args []string) int {
	fs := flag.NewFlagSet("check", flag.ExitOnError)
	path := fs.String("config", "", "config file (YAML)")
	fs.Parse(args)
	if *path == "" {
		usage()
	}
	if _, err := app.LoadConfig(*path); err != nil {
		printConfigError(*path, err)
		return 1
	}
	fmt.Println("config ok")
	return 0
}

func loadOrDemo(path string) (app.Config, error) {
	if path != "" {
		return app.LoadConfig(path)
	}
	return app.DemoConfigFromEnv()
}

// printConfigError lists every bad field on its own line.
func printConfigError(path string, err error) {
	var fe store.FieldErrors
	if !errors.As(err, &fe) {
		fmt.Fprintln(os.Stderr, "vigil:", err)
		return
	}
	if path == "" {
		path = "the demo site's settings (VIGIL_* environment)"
	}
	fmt.Fprintf(os.Stderr, "vigil: %d problem(s) in %s:\n", len(fe), path)
	for _, e := range fe {
		fmt.Fprintf(os.Stderr, "  %s\n", e)
	}
}

// resetPassword gives a user (a locked-out administrator) a temporary
// password at the server console; the service must be stopped.
func resetPassword(args []string) int {
	fs := flag.NewFlagSet("reset-password", flag.ContinueOnError)
	path := fs.String("config", "", "config file (YAML); without it, the demo site's settings")
	by := fs.String("by", "", "who is doing this (logged)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 || *by == "" {
		fmt.Fprintln(os.Stderr, "usage: vigil reset-password [-config FILE] -by NAME USERNAME  (with the service stopped)")
		return 2
	}
	cfg, err := loadOrDemo(*path)
	if err != nil {
		printConfigError(*path, err)
		return 1
	}
	pw, err := app.ResetPassword(cfg, fs.Arg(0), *by)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vigil reset-password:", err)
		return 1
	}
	fmt.Printf("temporary password for %s (change it at the next sign-in): %s\n", fs.Arg(0), pw)
	return 0
}

// migrate applies the store's pending schema migrations (serve does too).
func migrate(args []string) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	path := fs.String("config", "", "config file (YAML); without it, the demo site's settings")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := loadOrDemo(*path)
	if err != nil {
		printConfigError(*path, err)
		return 1
	}
	if err := app.Migrate(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "vigil migrate:", err)
		return 1
	}
	return 0
}

// migrateStore copies a stopped site's store into a new one.
func migrateStore(args []string) int {
	fs := flag.NewFlagSet("migrate-store", flag.ContinueOnError)
	from := fs.String("from", "", "the store now: sqlite:PATH (data_dir/vigil.db) or a postgres:// URL")
	to := fs.String("to", "", "the new, empty store: a postgres:// URL (or sqlite:PATH)")
	path := fs.String("config", "", "the site's config file (its data_dir holds the evidence log that moves too); without it, the demo site's")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: vigil migrate-store [-config FILE] -from sqlite:PATH -to postgres://USER:PASSWORD@HOST/DB  (with the service stopped)")
		return 2
	}
	cfg, err := loadOrDemo(*path)
	if err != nil {
		printConfigError(*path, err)
		return 1
	}
	if err := app.MigrateStore(cfg, *from, *to, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "vigil migrate-store:", err)
		return 1
	}
	return 0
}
