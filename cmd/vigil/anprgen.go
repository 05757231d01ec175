package main

import (
	"fmt"
	"os"
)

// anprGenerate is replaced by the plate generator's command (issue 8, in progress).
func anprGenerate(args []string) int {
	fmt.Fprintln(os.Stderr, "vigil anpr generate: not built yet")
	return 1
}
