package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"

	"github.com/budgetgw/gateway/internal/metrics"
)

func versionCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", stderr)
	output := fs.String("o", "table", "output: table, or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkOutput(*output, stderr); err != nil {
		return err
	}
	if *output == "json" {
		b, _ := json.Marshal(map[string]string{"version": metrics.Version, "goversion": runtime.Version()})
		printJSON(stdout, b)
		return nil
	}
	fmt.Fprintf(stdout, "gateway %s (%s)\n", metrics.Version, runtime.Version())
	return nil
}
