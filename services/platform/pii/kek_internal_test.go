package pii

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A rotation whose write fails (here: flushing the new file to disk) leaves
// the KEK file exactly as it was, and nothing beside it.
func TestAFailedRotationLeavesTheKEKFileWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pii-kek")
	if _, err := CreateKeyRingFile(path); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	failure := errors.New("disk full")
	syncFile = func(*os.File) error { return failure }
	t.Cleanup(func() { syncFile = (*os.File).Sync })

	if _, err := RotateKeyRingFile(path); !errors.Is(err, failure) {
		t.Fatalf("RotateKeyRingFile = %v, want the write's failure", err)
	}
	after, err := os.ReadFile(path)
	if err != nil || string(after) != string(before) {
		t.Fatalf("the KEK file changed: %v\nbefore:\n%s\nafter:\n%s", err, before, after)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("files left beside the KEK file: %v", entries)
	}
}
