package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
)

// -split gives each service process a folder holding its own two seeds and
// nothing else: no other service's, no operator's.
func TestSplitGivesEachProcessOnlyItsOwnSeeds(t *testing.T) {
	dir, split := filepath.Join(t.TempDir(), "nats-users"), t.TempDir()
	if err := run(dir, "none", "", "", split); err != nil {
		t.Fatal(err)
	}
	for _, s := range natsauth.Services {
		entries, err := os.ReadDir(filepath.Join(split, s.Name))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		want := []string{s.Name + "-api.nk", s.Name + ".nk"}
		if !slices.Equal(names, want) {
			t.Fatalf("%s's folder holds %v, want %v", s.Name, names, want)
		}
		own, _ := os.ReadFile(filepath.Join(split, s.Name, s.Name+".nk"))
		orig, _ := os.ReadFile(natsauth.SeedFile(dir, s.Name))
		if len(own) == 0 || string(own) != string(orig) {
			t.Fatalf("%s's seed differs from the one generated", s.Name)
		}
	}
}
