package main

import (
	"fmt"
	"os"
)

// anprRead and anprEval are replaced by the reader's commands (issue 8, in progress).
func anprRead(args []string) int {
	fmt.Fprintln(os.Stderr, "vigil anpr read: not built yet")
	return 1
}

func anprEval(args []string) int {
	fmt.Fprintln(os.Stderr, "vigil anpr eval: not built yet")
	return 1
}
