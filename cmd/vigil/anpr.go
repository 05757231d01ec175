package main

import (
	"fmt"
	"os"
)

// anprCmd runs the number-plate reader's tools:
//
//	vigil anpr read [-region gb|any] [-json] IMAGE...   read still images
//	vigil anpr eval -data DIR [-region gb|any]          score a labelled folder
//	vigil anpr generate -kind chars|scenes -n N -seed S -out DIR   synthetic UK plates
func anprCmd(args []string) int {
	if len(args) == 0 {
		anprUsage()
		return 2
	}
	switch args[0] {
	case "read":
		return anprRead(args[1:])
	case "eval":
		return anprEval(args[1:])
	case "generate":
		return anprGenerate(args[1:])
	default:
		anprUsage()
		return 2
	}
}

func anprUsage() {
	fmt.Fprintln(os.Stderr, "usage: vigil anpr read [-region gb|any] [-json] IMAGE...\n"+
		"       vigil anpr eval -data DIR [-region gb|any]\n"+
		"       vigil anpr generate -kind chars|scenes -n N -seed S -out DIR")
}
