// Package golden compares a test's output with a file under testdata/
// and, run with -update, rewrites the file from the output first.
package golden

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ from the current output (review the diff before committing it)")

// Check fails tb unless got equals the file at path; with -update it
// writes got to path first.
func Check(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (go test -update creates it; review it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs from the output; if the change is intended, go test -update rewrites it (review the diff):\n%s", path, got)
	}
}
